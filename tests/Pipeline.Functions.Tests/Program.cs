// The test assembly's entry point when a test runs it as a child process (the test runner never calls Main):
// `dotnet Pipeline.Functions.Tests.dll ingest-blobs CONNECTION TARGET NAME...` runs the blob function class, composed as
// the Functions host composes it, on incoming/{TARGET}/{NAME} for each name and prints one JSON line per result.
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Functions.Composition;
using Pipeline.Functions.Ingest;
using Pipeline.Shared.Storage;

namespace Pipeline.Functions.Tests;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is not ["ingest-blobs", var connection, var target, .. var names]) return 2;
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [PipelineFunctionsExtensions.ConnectionSetting] = connection })
            .Build();
        var services = new ServiceCollection().AddLogging();
        services.AddPipelineFunctions(configuration).AddTransient<IngestBlobFunction>();
        await using var provider = services.BuildServiceProvider();
        var incoming = provider.GetRequiredService<StorageOptions>().BlobService().GetBlobContainerClient(StorageLayout.Incoming);
        foreach (var name in names)
        {
            var result = await provider.GetRequiredService<IngestBlobFunction>().Run(incoming.GetBlobClient(StorageLayout.IncomingBlob(target, name)), target, name, default);
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                name,
                outcome = result.Outcome.ToString(),
                codes = (result.Report?.FileProblems.Select(p => p.Code + ": " + p.Message) ?? []).Concat(result.Report?.Rejections.Select(r => r.Reason + ": " + r.Message) ?? []),
            }));
        }
        return 0;
    }
}
