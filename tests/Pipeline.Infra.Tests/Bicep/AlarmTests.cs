// Costs and alarms as compiled: a monthly budget mailing the operator (start date pinned, never utcNow), alerts on
// dead-lettered requests, on the trainer's failure metric and on failed function invocations, and an Event Grid
// dead-letter container with its own alert.
using System.Text.Json;
using Pipeline.Shared.Telemetry;
using Pipeline.Worker;

namespace Pipeline.Infra.Tests.Bicep;

public sealed class AlarmTests(BicepBuildFixture bicep) : IClassFixture<BicepBuildFixture>
{
    private JsonElement Template => bicep.MainTemplate;

    private JsonElement Alert(string type, Func<JsonElement, bool> which)
    {
        var matches = ArmTemplate.OfType(Template, type).Where(which).ToList();
        return Assert.Single(matches);
    }

    [Fact]
    public void Budget_mails_the_alert_address_at_80_percent_actual_and_100_percent_forecast_from_a_pinned_start()
    {
        var budget = ArmTemplate.Single(Template, "Microsoft.Consumption/budgets").GetProperty("properties");
        var module = ArmTemplate.Module(Template, "budget").Path("properties", "parameters");

        Assert.Equal("Monthly", budget.GetProperty("timeGrain").GetString());
        Assert.Equal("[parameters('budgetStartDate')]", module.Expression("startDate", "value"));
        Assert.DoesNotContain("utcNow", Template.Path("parameters", "budgetStartDate").GetRawText());
        Assert.False(Template.Path("parameters", "alertEmail").TryGetProperty("defaultValue", out _), "the alert address must be given");
        var notifications = budget.GetProperty("notifications").EnumerateObject().Select(n => n.Value).ToList();
        Assert.Contains(notifications, n => n.GetProperty("thresholdType").GetString() == "Actual" && n.GetProperty("threshold").GetInt32() == 80);
        Assert.Contains(notifications, n => n.GetProperty("thresholdType").GetString() == "Forecasted" && n.GetProperty("threshold").GetInt32() == 100);
        Assert.All(notifications, n => Assert.Equal("[parameters('alertEmail')]", n.GetProperty("contactEmails")[0].GetString()));
        Assert.Equal("[parameters('alertEmail')]", module.Expression("alertEmail", "value"));
    }

    [Fact]
    public void Dead_lettered_training_requests_raise_an_alert_for_the_queue()
    {
        var alert = Alert("Microsoft.Insights/metricAlerts", a => a.GetRawText().Contains("DeadletteredMessages"));
        var criterion = alert.Path("properties", "criteria", "allOf")[0];

        Assert.Equal("Microsoft.ServiceBus/namespaces", criterion.GetProperty("metricNamespace").GetString());
        Assert.Equal("EntityName", criterion.GetProperty("dimensions")[0].GetProperty("name").GetString());
        Assert.Equal("[parameters('queueName')]", criterion.GetProperty("dimensions")[0].GetProperty("values")[0].GetString());
        Assert.Equal("GreaterThan", criterion.GetProperty("operator").GetString());
        Assert.Equal(0, criterion.GetProperty("threshold").GetInt32());
        Assert.NotEmpty(alert.Path("properties", "actions").EnumerateArray());
    }

    [Fact]
    public void Failed_and_unstartable_trainer_runs_raise_an_alert_from_the_workers_failure_metric()
    {
        var rule = ArmTemplate.Single(Template, "Microsoft.Insights/scheduledQueryRules").GetProperty("properties");
        var query = rule.Path("criteria", "allOf")[0].GetProperty("query").GetString()!;

        // The names the worker records under (PipelineTelemetry; RunCoordinator records "train", WorkerHost "start").
        Assert.Contains($"name == \"{PipelineTelemetry.Failures.Name}\"", query);
        Assert.Contains($"customDimensions[\"{PipelineTelemetry.Tags.Stage}\"]", query);
        Assert.Contains("\"train\"", query);
        Assert.Contains($"\"{WorkerHost.StartFailureStage}\"", query);
        Assert.Contains("appInsightsName", rule.GetProperty("scopes")[0].GetString());
        Assert.NotEmpty(rule.Path("actions", "actionGroups").EnumerateArray());
    }

    [Fact]
    public void Failed_function_invocations_raise_an_alert()
    {
        var alert = Alert("Microsoft.Insights/metricAlerts", a => a.GetRawText().Contains("requests/failed"));

        Assert.Contains("appInsightsName", alert.Path("properties", "scopes")[0].GetString());
        Assert.Equal(0, alert.Path("properties", "criteria", "allOf")[0].GetProperty("threshold").GetInt32());
    }

    [Fact]
    public void Undeliverable_blob_events_go_to_a_dead_letter_container_written_with_the_topics_identity_and_raise_an_alert()
    {
        var subscription = ArmTemplate.Single(Template, "Microsoft.EventGrid/systemTopics/eventSubscriptions").GetProperty("properties");
        var deadLetter = subscription.GetProperty("deadLetterWithResourceIdentity");
        var container = ArmTemplate.Module(Template, "blobEvents").Expression("properties", "parameters", "deadLetterContainer", "value");

        Assert.Equal("SystemAssigned", deadLetter.Path("identity", "type").GetString());
        Assert.Equal("StorageBlob", deadLetter.Path("deadLetterDestination", "endpointType").GetString());
        Assert.Equal("[variables('eventGridDeadLetterContainer')]", container);
        Assert.Equal("eventgrid-deadletter", Template.Path("variables", "eventGridDeadLetterContainer").GetString());
        Assert.Equal("[variables('eventGridDeadLetterContainer')]", ArmTemplate.Module(Template, "storage").Expression("properties", "parameters", "eventGridDeadLetterContainer", "value"));
        Assert.Equal("SystemAssigned", ArmTemplate.Single(Template, "Microsoft.EventGrid/systemTopics").Path("identity", "type").GetString());
        Assert.Single(ArmTemplate.OfType(ArmTemplate.ModuleTemplate(Template, "blobEvents"), "Microsoft.Authorization/roleAssignments"));
        Alert("Microsoft.Insights/metricAlerts", a => a.GetRawText().Contains("DeadLetteredCount"));
    }
}
