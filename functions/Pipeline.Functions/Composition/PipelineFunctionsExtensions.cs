// Wires the functions to the shared services: the ingestion composition every host uses, the runs catalog, and the
// upload's options and direct-upload SAS.
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pipeline.Functions.Upload;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Functions.Composition;

public static class PipelineFunctionsExtensions
{
    /// <summary>The app setting the blob trigger and the clients share (a connection string; Azurite locally).</summary>
    public const string ConnectionSetting = IngestionServiceCollectionExtensions.StorageSetting;

    /// <summary>Registers ingestion (storage validated at start: a malformed connection string stops the host before
    /// any trigger fires), the runs catalog and the upload's direct-upload SAS (Upload section, validated at start).</summary>
    public static IServiceCollection AddPipelineFunctions(this IServiceCollection services, IConfiguration configuration,
        Func<string, ITextTokenizer>? resolveTokenizer = null)
    {
        services.AddIngestion(configuration, resolveTokenizer);
        services.AddSingleton<Runs.RunsCatalog>();

        services.AddOptions<UploadOptions>().Bind(configuration.GetSection(UploadOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<UploadOptions>, UploadOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new DirectUploadSas(sp.GetRequiredService<BlobServiceClient>(),
            sp.GetRequiredService<IOptions<UploadOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    private sealed class UploadOptionsValidator : IValidateOptions<UploadOptions>
    {
        public ValidateOptionsResult Validate(string? name, UploadOptions options) =>
            options.Problems() is { Count: > 0 } p ? ValidateOptionsResult.Fail(p) : ValidateOptionsResult.Success;
    }
}
