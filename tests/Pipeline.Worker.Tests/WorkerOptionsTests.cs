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
        using var bed = new WorkerTestBed(azurite);
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

    [Theory]
    [InlineData("00:00:06", "00:00:02")] // the settings: the message came back 9 s before the lease ran out
    [InlineData("00:00:15", "00:00:01")] // equal to the lease
    [InlineData("00:00:16", "00:00:01")] // lease + renewal interval: a message renewed just before the kill comes back as the lease expires
    public async Task The_worker_host_refuses_to_start_when_a_message_can_reappear_before_its_dead_runs_lease_expires(string visibility, string renewal)
    {
        using var bed = new WorkerTestBed(azurite);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(bed.Settings("worker-a", extra: new()
        {
            ["Worker:LeaseDuration"] = "00:00:15", ["Queue:VisibilityTimeout"] = visibility, ["Queue:RenewalInterval"] = renewal,
        }));
        builder.Services.AddLogging().AddTrainerWorker(builder.Configuration);

        var e = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            using var host = builder.Build();
            await host.StartAsync();
        });

        Assert.Contains($"Queue:VisibilityTimeout ({visibility}) must be longer than Worker:LeaseDuration (00:00:15) + Queue:RenewalInterval ({renewal})", e.Message);
    }

    [Fact]
    public void The_shortest_visibility_the_lease_allows_and_service_bus_pass()
    {
        var worker = new WorkerOptions { LeaseDuration = TimeSpan.FromSeconds(15) };

        Assert.Empty(worker.Problems(new Shared.Queues.QueueOptions { VisibilityTimeout = TimeSpan.FromSeconds(17), RenewalInterval = TimeSpan.FromSeconds(1) }));
        Assert.Empty(worker.Problems(new Shared.Queues.QueueOptions { Transport = Shared.Queues.QueueTransport.ServiceBus, VisibilityTimeout = TimeSpan.FromSeconds(6) }));
        Assert.Empty(new WorkerOptions().Problems(new Shared.Queues.QueueOptions())); // the defaults: 30 s lease, 5 min visibility
    }
}
