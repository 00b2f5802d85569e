// infra/docker-compose.yml and the Service Bus emulator config: the services exist, the trainer builds from files
// that exist and reserves a GPU, and the emulator's queue matches the one Bicep deploys. (docker compose is not run.)
using System.Text.Json;
using Pipeline.Testing;

namespace Pipeline.Infra.Tests.Docker;

public sealed class ComposeFileTests
{
    private static readonly string InfraDir = Path.Combine(RepoPaths.Root, "infra");
    private static readonly Dictionary<string, object?> Compose = MiniYaml.Parse(Path.Combine(InfraDir, "docker-compose.yml"));

    private static Dictionary<string, object?> Map(object? node, string what) =>
        node as Dictionary<string, object?> ?? throw new Xunit.Sdk.XunitException($"{what} is not a mapping");

    private static Dictionary<string, object?> Service(string name) =>
        Map(Map(Compose["services"], "services").GetValueOrDefault(name), $"service {name}");

    [Fact]
    public void Declares_azurite_the_service_bus_emulator_and_the_trainer()
    {
        var services = Map(Compose["services"], "services");

        Assert.Contains("azurite", services.Keys);
        Assert.Contains("servicebus-emulator", services.Keys);
        Assert.Contains("trainer", services.Keys);
        Assert.StartsWith("mcr.microsoft.com/azure-messaging/servicebus-emulator", (string)Service("servicebus-emulator")["image"]!);
    }

    [Fact]
    public void Trainer_builds_the_repository_with_the_trainer_dockerfile()
    {
        var build = Map(Service("trainer")["build"], "trainer.build");
        var context = Path.GetFullPath(Path.Combine(InfraDir, (string)build["context"]!));

        Assert.Equal(Path.GetFullPath(RepoPaths.Root), context.TrimEnd(Path.DirectorySeparatorChar));
        Assert.True(File.Exists(Path.Combine(context, (string)build["dockerfile"]!)), $"dockerfile {build["dockerfile"]} not found in {context}");
    }

    [Fact]
    public void Trainer_reserves_an_nvidia_gpu()
    {
        var reservations = Map(Map(Map(Service("trainer")["deploy"], "deploy")["resources"], "resources")["reservations"], "reservations");
        var device = Map(Assert.Single((List<object?>)reservations["devices"]!), "device");

        Assert.Equal("nvidia", device["driver"]);
        Assert.Contains("gpu", ((List<object?>)device["capabilities"]!).Cast<string>());
    }

    [Fact]
    public void Every_host_path_mounted_into_a_service_exists()
    {
        var mounts = Map(Compose["services"], "services").Values
            .Select(s => Map(s, "service").GetValueOrDefault("volumes") as List<object?> ?? [])
            .SelectMany(v => v.Cast<string>())
            .Where(v => v.StartsWith('.'))
            .ToList();

        Assert.NotEmpty(mounts);
        foreach (var mount in mounts)
        {
            var host = mount.Split(':')[0];
            Assert.True(File.Exists(Path.Combine(InfraDir, host)) || Directory.Exists(Path.Combine(InfraDir, host)), $"{host} does not exist");
        }
    }

    [Fact]
    public void Emulator_queue_matches_the_deployed_queue_and_the_trainer_setting()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(InfraDir, "servicebus-emulator", "Config.json")));
        var queue = config.RootElement.GetProperty("UserConfig").GetProperty("Namespaces")[0].GetProperty("Queues")[0];
        var props = queue.GetProperty("Properties");

        Assert.Equal("training-requests", queue.GetProperty("Name").GetString());
        Assert.True(props.GetProperty("RequiresDuplicateDetection").GetBoolean());
        Assert.True(props.GetProperty("DeadLetteringOnMessageExpiration").GetBoolean());
        Assert.Contains("param queueName string = 'training-requests'", File.ReadAllText(Path.Combine(InfraDir, "main.bicep")));
        Assert.Equal("training-requests", Map(Service("trainer")["environment"], "environment")["Queue__QueueName"]);
    }

    [Fact]
    public void Emulator_queue_settings_stay_within_the_emulators_limits()
    {
        // The Service Bus emulator refuses a config over its quotas: duplicate detection and lock at most 5 minutes.
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(InfraDir, "servicebus-emulator", "Config.json")));
        var props = config.RootElement.GetProperty("UserConfig").GetProperty("Namespaces")[0].GetProperty("Queues")[0].GetProperty("Properties");

        Assert.True(System.Xml.XmlConvert.ToTimeSpan(props.GetProperty("DuplicateDetectionHistoryTimeWindow").GetString()!) <= TimeSpan.FromMinutes(5));
        Assert.True(System.Xml.XmlConvert.ToTimeSpan(props.GetProperty("LockDuration").GetString()!) <= TimeSpan.FromMinutes(5));
    }
}
