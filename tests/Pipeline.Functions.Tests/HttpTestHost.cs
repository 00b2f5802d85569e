// The HTTP functions on their real composition (AddPipelineFunctions) against the test's Azurite, with settings the
// test chooses (access mode, retrain limits) and a training-request queue of the test's own, so what was published can
// be counted. Every host is a fresh function instance: nothing carries over between two of them but storage.
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Functions.Access;
using Pipeline.Functions.Composition;
using Pipeline.Functions.Reports;
using Pipeline.Functions.Runs;
using Pipeline.Functions.Upload;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Queues.StorageQueue;
using Pipeline.Shared.Storage;
using Pipeline.Testing;

namespace Pipeline.Functions.Tests;

internal sealed class HttpTestHost : IDisposable
{
    private readonly ServiceProvider _services;

    public HttpTestHost(AzuriteFixture azurite, string queueName, Dictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>
        {
            [PipelineFunctionsExtensions.ConnectionSetting] = azurite.ConnectionString,
            ["Access:Mode"] = "Local",
        };
        foreach (var (key, value) in settings ?? []) values[key] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddPipelineFunctions(configuration);
        Queue = new StorageOptions { ConnectionString = azurite.ConnectionString }.QueueService().GetQueueClient(queueName);
        services.AddSingleton<ITrainingRequestPublisher>(new StorageQueuePublisher(Queue, StorageRetry.Create()));
        services.AddTransient<RunsFunctions>().AddTransient<UploadFileFunction>().AddTransient<GetReportFunction>();
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    /// <summary>The queue this host publishes training requests to (base64 bodies, decoded by this client).</summary>
    public QueueClient Queue { get; }

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public RunsFunctions Runs => Get<RunsFunctions>();

    /// <summary>Every request on the host's queue (peeked: the test's own queue holds fewer than 32).</summary>
    public async Task<List<TrainingRequest>> PublishedAsync() =>
        await Queue.ExistsAsync()
            ? (await Queue.PeekMessagesAsync(32)).Value.Select(m => TrainingRequest.Parse(m.Body.ToString())).ToList()
            : [];

    /// <summary>An HTTP request with an optional body, App Service Authentication principal and headers.</summary>
    public static HttpRequest Request(string? body = null, string? principal = null, params (string Name, string Value)[] headers)
    {
        var request = new DefaultHttpContext().Request;
        request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body ?? ""));
        request.ContentLength = request.Body.Length;
        if (principal is not null) request.Headers[Caller.PrincipalHeader] = principal;
        foreach (var (name, value) in headers) request.Headers[name] = value;
        return request;
    }

    /// <summary>X-MS-CLIENT-PRINCIPAL as App Service Authentication writes it for an Entra ID caller.</summary>
    public static string Principal(string name, IEnumerable<string>? roles = null, IEnumerable<string>? groups = null)
    {
        var claims = new List<object> { new { typ = "name", val = name } };
        claims.AddRange((roles ?? []).Select(r => new { typ = "roles", val = r }));
        claims.AddRange((groups ?? []).Select(g => new { typ = "groups", val = g }));
        var json = JsonSerializer.Serialize(new { auth_typ = "aad", claims, name_typ = "name", role_typ = "roles" });
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json));
    }

    public void Dispose() => _services.Dispose();
}
