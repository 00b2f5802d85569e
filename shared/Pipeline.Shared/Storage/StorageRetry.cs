// The Polly pipeline for transient storage faults: timeouts, throttling and 5xx answers are retried with backoff.
using System.Net.Sockets;
using Azure;
using Polly;
using Polly.Retry;

namespace Pipeline.Shared.Storage;

public static class StorageRetry
{
    public static bool IsTransient(Exception e) => e switch
    {
        RequestFailedException r => r.Status is 0 or 408 or 429 or 500 or 502 or 503 or 504,
        HttpRequestException or SocketException or TimeoutException => true,
        IOException io => io.InnerException is SocketException,
        _ => false,
    };

    /// <summary>Exponential backoff with jitter; <paramref name="baseDelay"/> defaults to 200 ms.</summary>
    public static ResiliencePipeline Create(int maxRetryAttempts = 4, TimeSpan? baseDelay = null) =>
        new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = maxRetryAttempts,
                Delay = baseDelay ?? TimeSpan.FromMilliseconds(200),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .Build();
}
