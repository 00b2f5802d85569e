using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Pipeline.Testing;
using Pipeline.Worker;

namespace Pipeline.Worker.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class WorkerOptionsTests(AzuriteFixture azurite)
{
    [Fact]
    public void Defaults_are_valid()
    {
        Assert.Empty(new WorkerOptions().Problems());
    }

    [Fact]
    public void Names_each_invalid_setting()
    {
        var problems = new WorkerOptions { LeaseDuration = TimeSpan.FromSeconds(5), MaxRuns = 0, Device = "tpu" }.Problems();

        Assert.Contains(problems, p => p.Contains("Worker:LeaseDuration 00:00:05 must be between 15 and 60 seconds", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Worker:MaxRuns", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Worker:Device 'tpu'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_worker_host_refuses_to_start_with_an_invalid_lease_duration()
    {
        var bed = new WorkerTestBed(azurite);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(bed.Settings("worker-a", extra: new() { ["Worker:LeaseDuration"] = "00:02:00" }));
        builder.Services.AddLogging().AddTrainerWorker(builder.Configuration);

        var e = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            using var host = builder.Build();
            await host.StartAsync();
        });

        Assert.Contains("Worker:LeaseDuration", e.Message);
    }
}
