// Wires the functions to the shared services: the ingestion composition every host uses, the per-target access check,
// the runs catalog, retrain, and the upload's options and direct-upload SAS, with their options validated at start.
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pipeline.Functions.Access;
using Pipeline.Functions.Runs;
using Pipeline.Functions.Upload;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Functions.Composition;

public static class PipelineFunctionsExtensions
{
    /// <summary>The app setting the blob trigger and the clients share (a connection string; Azurite locally).</summary>
    public const string ConnectionSetting = IngestionServiceCollectionExtensions.StorageSetting;

    /// <summary>Registers ingestion (storage validated at start: a malformed connection string stops the host before
    /// any trigger fires), the access check (Access:Mode Local refused in App Service), the runs catalog, retrain and
    /// the upload's direct-upload SAS (Upload section, validated at start).</summary>
    public static IServiceCollection AddPipelineFunctions(this IServiceCollection services, IConfiguration configuration,
        Func<string, ITextTokenizer>? resolveTokenizer = null)
    {
        services.AddIngestion(configuration, resolveTokenizer);
        services.AddOptions<AccessOptions>().Bind(configuration.GetSection(AccessOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AccessOptions>>(new AccessOptionsValidator(configuration));
        services.AddSingleton(sp => new TargetAuthorizer(
            sp.GetRequiredService<BlobServiceClient>(), sp.GetRequiredService<IOptions<AccessOptions>>(), configuration,
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<TargetAuthorizer>>()));
        services.AddOptions<RetrainOptions>().Bind(configuration.GetSection(RetrainOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RetrainOptions>, RetrainOptionsValidator>();
        services.AddSingleton<RunsCatalog>();
        services.AddSingleton<RetrainService>();

        services.AddOptions<UploadOptions>().Bind(configuration.GetSection(UploadOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<UploadOptions>, UploadOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new DirectUploadSas(sp.GetRequiredService<BlobServiceClient>(),
            sp.GetRequiredService<IOptions<UploadOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    private sealed class RetrainOptionsValidator : IValidateOptions<RetrainOptions>
    {
        public ValidateOptionsResult Validate(string? name, RetrainOptions options) =>
            options.Problems() is { Count: > 0 } p ? ValidateOptionsResult.Fail(p) : ValidateOptionsResult.Success;
    }

    private sealed class UploadOptionsValidator : IValidateOptions<UploadOptions>
    {
        public ValidateOptionsResult Validate(string? name, UploadOptions options) =>
            options.Problems() is { Count: > 0 } p ? ValidateOptionsResult.Fail(p) : ValidateOptionsResult.Success;
    }
}
