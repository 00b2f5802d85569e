// The trainer's Container Apps job as compiled: a T4 serverless GPU by default (A100 a parameter), /work on an Azure
// Files share where the worker writes, a bounded number of executions per polling interval, an idle stop, and only the
// roles it uses (tags on runs/ for the lifecycle rule, no queue roles it does not use).
using System.Text.Json;
using Pipeline.Infra.Tests.Docker;
using Pipeline.Testing;

namespace Pipeline.Infra.Tests.Bicep;

public sealed class TrainerJobTests(BicepBuildFixture bicep) : IClassFixture<BicepBuildFixture>
{
    private JsonElement Template => bicep.MainTemplate;
    private JsonElement Job => ArmTemplate.Single(Template, "Microsoft.App/jobs").GetProperty("properties");
    private JsonElement Container => Job.Path("template", "containers")[0];

    private string Env(string name) =>
        Container.GetProperty("env").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name).GetProperty("value").GetString()!;

    [Fact]
    public void Default_gpu_is_the_serverless_t4_and_the_a100_profiles_stay_a_parameter()
    {
        var gpu = Template.Path("parameters", "gpuProfileType");

        Assert.Equal("Consumption-GPU-NC8as-T4", gpu.GetProperty("defaultValue").GetString());
        var allowed = gpu.GetProperty("allowedValues").EnumerateArray().Select(v => v.GetString()).ToList();
        Assert.Contains("Consumption-GPU-NC24-A100", allowed);
        Assert.Contains("NC24-A100", allowed);
        using var parameters = JsonDocument.Parse(File.ReadAllText(Path.Combine(BicepCli.InfraDir, "main.parameters.json")));
        Assert.Equal("${GPU_PROFILE_TYPE=Consumption-GPU-NC8as-T4}", parameters.RootElement.Path("parameters", "gpuProfileType", "value").GetString());
    }

    [Fact]
    public void Work_volume_is_mounted_where_the_worker_writes_its_runs_and_model_cache()
    {
        var mount = Assert.Single(Container.GetProperty("volumeMounts").EnumerateArray());
        var mountPath = mount.GetProperty("mountPath").GetString()!;
        var volume = Assert.Single(Job.Path("template", "volumes").EnumerateArray());

        Assert.Equal(volume.GetProperty("name").GetString(), mount.GetProperty("volumeName").GetString());
        foreach (var setting in new[] { "Worker__WorkDirectory", "Worker__CacheDirectory" })
            Assert.StartsWith(mountPath + "/", Env(setting));
        // The image says the same, so a container started without the job's settings writes there too.
        var image = Dockerfile.Parse(Path.Combine(RepoPaths.Root, "infra", "trainer.Dockerfile"));
        var imageEnv = string.Join(' ', image.Final.All("ENV").Select(e => e.Arguments));
        Assert.Contains($"Worker__WorkDirectory={Env("Worker__WorkDirectory")}", imageEnv);
        Assert.Contains($"Worker__CacheDirectory={Env("Worker__CacheDirectory")}", imageEnv);
    }

    [Fact]
    public void Work_volume_is_an_azure_files_share_sized_by_a_parameter_owned_by_the_image_user()
    {
        var volume = Job.Path("template", "volumes")[0];
        Assert.Contains("'AzureFile'", volume.Expression("storageType"));
        Assert.Contains("'EmptyDir'", volume.Expression("storageType")); // workVolumeGiB = 0
        var uid = System.Text.RegularExpressions.Regex.Match(
            File.ReadAllText(Path.Combine(RepoPaths.Root, "infra", "trainer.Dockerfile")), @"useradd --uid (\d+)").Groups[1].Value;
        Assert.Contains($"uid={uid},gid={uid}", volume.Expression("mountOptions"));

        var storage = ArmTemplate.Single(Template, "Microsoft.App/managedEnvironments/storages").GetProperty("properties");
        Assert.Equal("ReadWrite", storage.Path("azureFile", "accessMode").GetString());
        var share = ArmTemplate.Single(Template, "Microsoft.Storage/storageAccounts/fileServices/shares");
        Assert.Equal("[parameters('quotaGiB')]", share.Expression("properties", "shareQuota"));
        Assert.Equal("[max(parameters('workVolumeGiB'), 1)]", ArmTemplate.Module(Template, "workShare").Expression("properties", "parameters", "quotaGiB", "value"));
        Assert.Equal(100, Template.Path("parameters", "workVolumeGiB", "defaultValue").GetInt32());
        Assert.Equal("[greater(parameters('workVolumeGiB'), 0)]", ArmTemplate.Module(Template, "workShare").GetProperty("condition").GetString());
    }

    [Fact]
    public void Executions_per_polling_interval_are_capped_and_an_idle_execution_stops()
    {
        var scale = Job.Path("configuration", "eventTriggerConfig", "scale");

        Assert.Equal("[parameters('maxExecutions')]", scale.Expression("maxExecutions"));
        Assert.Equal("[parameters('pollingIntervalSeconds')]", scale.Expression("pollingInterval"));
        Assert.Equal(0, Job.Path("configuration", "replicaRetryLimit").GetInt32());
        Assert.True(Template.Path("parameters", "pollingIntervalSeconds", "defaultValue").GetInt32() >= 60);
        Assert.True(Template.Path("parameters", "maxConcurrentRuns", "defaultValue").GetInt32() <= 2);
        Assert.Equal("1", Env("Worker__MaxRuns"));
        Assert.Equal("[parameters('idleStopAfter')]", Env("Worker__IdleStopAfter"));
        Assert.True(TimeSpan.Parse(ArmTemplate.ModuleTemplate(Template, "containerApps").Path("parameters", "idleStopAfter", "defaultValue").GetString()!) <= TimeSpan.FromMinutes(5));
    }

    [Fact]
    public void Trainer_may_tag_blobs_in_the_runs_container_only_and_holds_no_queue_role_it_does_not_use()
    {
        var roles = ArmTemplate.ModuleTemplate(Template, "roles");
        var trainer = ArmTemplate.OfType(roles, "Microsoft.Authorization/roleAssignments")
            .Where(r => r.Expression("properties", "principalId").Contains("trainerIdentityName"))
            .ToList();
        string Role(JsonElement r) => r.Expression("properties", "roleDefinitionId");

        // Storage Blob Data Owner (the role that may write index tags), scoped to the runs container.
        var owners = trainer.Where(r => Role(r).Contains("storageBlobDataOwner")).ToList();
        var owner = Assert.Single(owners);
        Assert.Contains("containers", owner.Expression("scope"));
        Assert.Contains("runsContainerName", owner.Expression("scope"));
        Assert.DoesNotContain(trainer, r => Role(r).Contains("storageQueueDataContributor"));
        Assert.DoesNotContain(trainer, r => Role(r).Contains("serviceBusDataSender"));
        Assert.Single(trainer, r => Role(r).Contains("serviceBusDataReceiver"));
        Assert.Equal("runs", ArmTemplate.Module(Template, "roles").Expression("properties", "parameters", "runsContainerName", "value"));
    }
}
