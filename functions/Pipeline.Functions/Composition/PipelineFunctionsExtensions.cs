// Wires the functions to the shared services: the ingestion composition every host uses, and the runs catalog.
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Functions.Composition;

public static class PipelineFunctionsExtensions
{
    /// <summary>The app setting the blob trigger and the clients share (a connection string; Azurite locally).</summary>
    public const string ConnectionSetting = IngestionServiceCollectionExtensions.StorageSetting;

    /// <summary>Registers ingestion (storage validated at start: a malformed connection string stops the host before
    /// any trigger fires) and the runs catalog.</summary>
    public static IServiceCollection AddPipelineFunctions(this IServiceCollection services, IConfiguration configuration,
        Func<string, ITextTokenizer>? resolveTokenizer = null)
    {
        services.AddIngestion(configuration, resolveTokenizer);
        services.AddSingleton<Runs.RunsCatalog>();
        return services;
    }
}
