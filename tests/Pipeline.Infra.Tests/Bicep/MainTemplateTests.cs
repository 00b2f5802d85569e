// What infra/main.bicep deploys, checked on the compiled ARM template: the storage layout and its guards, the queue,
// the GPU job and its KEDA scaler, Functions' identity-based connections, and no keys anywhere.
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pipeline.Infra.Tests.Bicep;

public sealed class MainTemplateTests(BicepBuildFixture bicep) : IClassFixture<BicepBuildFixture>
{
    private JsonElement Template => bicep.MainTemplate;

    [Fact]
    public void Main_takes_region_gpu_profile_queue_name_and_functions_switch_as_parameters()
    {
        var parameters = Template.GetProperty("parameters");
        foreach (var name in new[] { "location", "gpuProfileType", "queueName", "deployFunctions" })
            Assert.True(parameters.TryGetProperty(name, out _), $"parameter {name} is missing");
        Assert.Equal("training-requests", parameters.Path("queueName", "defaultValue").GetString());
        Assert.Equal("bool", parameters.Path("deployFunctions", "type").GetString());
    }

    [Fact]
    public void Every_parameter_without_a_default_comes_from_the_azd_environment()
    {
        using var file = JsonDocument.Parse(File.ReadAllText(Path.Combine(BicepCli.InfraDir, "main.parameters.json")));
        var given = file.RootElement.GetProperty("parameters");

        foreach (var parameter in Template.GetProperty("parameters").EnumerateObject().Where(p => !p.Value.TryGetProperty("defaultValue", out _)))
            Assert.True(given.TryGetProperty(parameter.Name, out var value) && value.Path("value").GetString()!.StartsWith("${"),
                $"main.bicep parameter {parameter.Name} has no default and no azd environment value in main.parameters.json");
        Assert.Equal("${AZURE_PRINCIPAL_ID}", given.Path("principalId", "value").GetString());
    }

    [Fact]
    public void The_deploying_principal_may_upload_blobs_and_send_and_receive_requests()
    {
        var roles = ArmTemplate.ModuleTemplate(Template, "roles");
        var deployer = ArmTemplate.OfType(roles, "Microsoft.Authorization/roleAssignments")
            .Where(r => r.Expression("properties", "principalId") == "[parameters('deployerPrincipalId')]").ToList();

        Assert.Contains(deployer, r => r.Expression("properties", "roleDefinitionId").Contains("storageBlobDataContributor"));
        Assert.Contains(deployer, r => r.Expression("properties", "roleDefinitionId").Contains("serviceBusDataSender"));
        Assert.Contains(deployer, r => r.Expression("properties", "roleDefinitionId").Contains("serviceBusDataReceiver"));
        Assert.All(deployer, r => Assert.Equal("[not(empty(parameters('deployerPrincipalId')))]", r.GetProperty("condition").GetString()));
        Assert.Equal("[parameters('principalId')]", ArmTemplate.Module(Template, "roles").Expression("properties", "parameters", "deployerPrincipalId", "value"));
    }

    [Fact]
    public void Storage_account_refuses_public_blobs_shared_keys_and_old_tls()
    {
        var account = ArmTemplate.Single(ArmTemplate.ModuleTemplate(Template, "storage"), "Microsoft.Storage/storageAccounts").GetProperty("properties");

        Assert.False(account.GetProperty("allowBlobPublicAccess").GetBoolean());
        Assert.False(account.GetProperty("allowSharedKeyAccess").GetBoolean());
        Assert.Equal("TLS1_2", account.GetProperty("minimumTlsVersion").GetString());
        Assert.True(account.GetProperty("supportsHttpsTrafficOnly").GetBoolean());
    }

    [Fact]
    public void Storage_holds_every_container_of_the_layout_and_keeps_deleted_blobs()
    {
        var storageModule = File.ReadAllText(Path.Combine(BicepCli.InfraDir, "modules", "storage.bicep"));
        foreach (var container in new[] { "incoming", "datasets", "quarantine", "runs", "models", "config", "base-models" })
            Assert.Contains($"'{container}'", storageModule);

        var blobService = ArmTemplate.Single(Template, "Microsoft.Storage/storageAccounts/blobServices").GetProperty("properties");
        Assert.True(blobService.GetProperty("isVersioningEnabled").GetBoolean());
        Assert.True(blobService.Path("deleteRetentionPolicy", "enabled").GetBoolean());
        Assert.Equal("None", ArmTemplate.Single(Template, "Microsoft.Storage/storageAccounts/blobServices/containers")
            .Path("properties", "publicAccess").GetString());
    }

    [Fact]
    public void Lifecycle_rule_deletes_only_tagged_checkpoints_under_runs()
    {
        var policy = ArmTemplate.Single(Template, "Microsoft.Storage/storageAccounts/managementPolicies");
        var rule = policy.Path("properties", "policy", "rules")[0].GetProperty("definition");

        // The tag CheckpointStore writes on every checkpoint blob (LifecycleRuleTests applies the rule on Azurite).
        Assert.Equal(Pipeline.Shared.Storage.StorageLayout.Runs + "/", rule.Path("filters", "prefixMatch")[0].GetString());
        var tag = Assert.Single(rule.Path("filters", "blobIndexMatch").EnumerateArray());
        Assert.Equal(Pipeline.Worker.CheckpointStore.LifecycleTagName, tag.GetProperty("name").GetString());
        Assert.Equal("==", tag.GetProperty("op").GetString());
        Assert.Equal(Pipeline.Worker.CheckpointStore.LifecycleTagValue, tag.GetProperty("value").GetString());
        Assert.True(rule.Path("actions", "baseBlob", "delete").TryGetProperty("daysAfterModificationGreaterThan", out _));

        // Versioning keeps deleted checkpoints as previous versions; the second rule expires only those.
        var versions = policy.Path("properties", "policy", "rules")[1].GetProperty("definition");
        Assert.Equal("runs/", versions.Path("filters", "prefixMatch")[0].GetString());
        Assert.False(versions.GetProperty("actions").TryGetProperty("baseBlob", out _), "current blobs under runs/ are kept");
        Assert.True(versions.Path("actions", "version", "delete").TryGetProperty("daysAfterCreationGreaterThan", out _));
    }

    [Fact]
    public void Queue_has_lock_duration_delivery_limit_duplicate_detection_and_dead_lettering()
    {
        var queue = ArmTemplate.Single(Template, "Microsoft.ServiceBus/namespaces/queues").GetProperty("properties");
        foreach (var name in new[] { "lockDuration", "maxDeliveryCount", "duplicateDetectionHistoryTimeWindow" })
            Assert.True(queue.TryGetProperty(name, out _), name);
        Assert.True(queue.GetProperty("requiresDuplicateDetection").GetBoolean());
        Assert.True(queue.GetProperty("deadLetteringOnMessageExpiration").GetBoolean());

        var ns = ArmTemplate.Single(Template, "Microsoft.ServiceBus/namespaces").GetProperty("properties");
        Assert.True(ns.GetProperty("disableLocalAuth").GetBoolean());
    }

    [Fact]
    public void Trainer_is_an_event_job_scaled_by_keda_service_bus_with_a_managed_identity_one_run_per_message()
    {
        var job = ArmTemplate.Single(Template, "Microsoft.App/jobs").GetProperty("properties");
        var config = job.GetProperty("configuration");
        Assert.Equal("Event", config.GetProperty("triggerType").GetString());
        Assert.True(config.TryGetProperty("replicaTimeout", out _));

        var trigger = config.GetProperty("eventTriggerConfig");
        Assert.Equal(1, trigger.GetProperty("parallelism").GetInt32());
        Assert.Equal(1, trigger.GetProperty("replicaCompletionCount").GetInt32());
        var rule = trigger.Path("scale", "rules")[0];
        Assert.Equal("azure-servicebus", rule.GetProperty("type").GetString());
        Assert.Equal("1", rule.Path("metadata", "messageCount").GetString());
        Assert.True(rule.TryGetProperty("identity", out _), "the scaler must authenticate with a managed identity");
        Assert.False(rule.TryGetProperty("auth", out _), "no secret-based scaler auth");

        // The job runs on the environment's GPU profile, whose type is the gpuProfileType parameter.
        Assert.Contains("gpuProfileName", job.GetProperty("workloadProfileName").GetString());
        var environment = ArmTemplate.Single(Template, "Microsoft.App/managedEnvironments");
        Assert.Contains("variables('gpuProfile')", environment.Path("properties", "workloadProfiles").GetRawText());
        Assert.Contains("workloadProfileType: gpuProfileType", File.ReadAllText(Path.Combine(BicepCli.InfraDir, "modules", "containerapps.bicep")));
        Assert.Contains("UserAssigned", ArmTemplate.Single(Template, "Microsoft.App/jobs").Path("identity", "type").GetString());
    }

    [Fact]
    public void Replica_timeout_default_is_long_enough_for_a_training_run()
    {
        var timeout = Template.Path("parameters", "replicaTimeoutSeconds", "defaultValue").GetInt32();

        Assert.True(timeout >= 4 * 3600, $"replica timeout {timeout}s is shorter than four hours");
    }

    [Fact]
    public void Functions_app_runs_on_flex_consumption_with_identity_based_storage()
    {
        var plan = ArmTemplate.Single(Template, "Microsoft.Web/serverfarms");
        Assert.Equal("FlexConsumption", plan.Path("sku", "tier").GetString());

        var settings = ArmTemplate.OfType(Template, "Microsoft.Web/sites/config").Single(c => c.GetProperty("name").GetString()!.Contains("appsettings")).Path("properties");
        Assert.Equal("managedidentity", settings.GetProperty("AzureWebJobsStorage__credential").GetString());
        Assert.True(settings.TryGetProperty("AzureWebJobsStorage__accountName", out _));
        Assert.False(settings.TryGetProperty("AzureWebJobsStorage", out _), "no storage connection string");
    }

    [Fact]
    public void Blob_events_under_incoming_reach_the_functions_blob_extension_webhook()
    {
        var subscription = ArmTemplate.Single(Template, "Microsoft.EventGrid/systemTopics/eventSubscriptions").GetProperty("properties");

        Assert.Equal("WebHook", subscription.Path("destination", "endpointType").GetString());
        Assert.Contains("/runtime/webhooks/blobs", subscription.Path("destination", "properties", "endpointUrl").GetString());
        Assert.Equal("/blobServices/default/containers/incoming/", subscription.Path("filter", "subjectBeginsWith").GetString());
    }

    [Fact]
    public void Role_assignments_grant_the_data_roles_the_issue_names()
    {
        var roles = File.ReadAllText(Path.Combine(BicepCli.InfraDir, "modules", "roles.bicep"));
        var expected = new Dictionary<string, string>
        {
            ["Storage Blob Data Contributor"] = "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
            ["Storage Queue Data Contributor"] = "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
            ["Azure Service Bus Data Sender"] = "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39",
            ["Azure Service Bus Data Receiver"] = "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0",
            ["AcrPull"] = "7f951dda-4ed3-4680-a7ca-43fe172d538d",
        };
        foreach (var (role, id) in expected)
            Assert.True(roles.Contains(id), $"{role} ({id}) is not assigned");
        Assert.True(ArmTemplate.OfType(Template, "Microsoft.Authorization/roleAssignments").Count >= 10);
    }

    [Fact]
    public void Template_holds_no_account_keys_or_connection_strings()
    {
        var text = Template.GetRawText();

        Assert.DoesNotContain("AccountKey=", text);
        Assert.DoesNotContain("SharedAccessKey", text);
        Assert.DoesNotContain("listConnectionStrings", text);
        // Two keys are read, neither output: the Functions blobs-extension system key that authenticates Event Grid's
        // webhook, and the work share's account key that Container Apps' SMB mount needs (that account holds scratch data
        // only; the pipeline's account keeps shared keys off).
        foreach (Match m in Regex.Matches(text, @"listKeys\((.*?)\)\."))
            Assert.True(m.Groups[1].Value.Contains("/host/default") || m.Groups[1].Value.Contains("parameters('workShareAccountName')"), m.Value);
        var mountKey = ArmTemplate.Single(Template, "Microsoft.App/managedEnvironments/storages").Expression("properties", "azureFile", "accountKey");
        Assert.Contains("listKeys(", mountKey);
        foreach (var output in Template.GetProperty("outputs").EnumerateObject())
            Assert.DoesNotContain("listKeys", output.Value.GetRawText());
        foreach (var registry in ArmTemplate.OfType(Template, "Microsoft.ContainerRegistry/registries"))
            Assert.False(registry.Path("properties", "adminUserEnabled").GetBoolean());
    }
}
