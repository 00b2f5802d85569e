// Start-time validation of QueueOptions: every problem is reported at once, naming the option and the reason.
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Pipeline.Shared.Queues;

public sealed partial class QueueOptionsValidator : IValidateOptions<QueueOptions>
{
    public ValidateOptionsResult Validate(string? name, QueueOptions options)
    {
        var errors = Errors(options).ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static IEnumerable<string> Errors(QueueOptions o)
    {
        var prefix = QueueOptions.SectionName + ":";
        if (!Enum.IsDefined(o.Transport))
            yield return $"{prefix}Transport '{o.Transport}' is not StorageQueue or ServiceBus.";
        if (o.Transport == QueueTransport.StorageQueue && !StorageQueueName().IsMatch(o.PoisonQueueName))
            yield return $"{prefix}QueueName '{o.QueueName}' is not a valid storage queue name (3-56 lower-case letters, digits and single dashes, so that '-poison' still fits).";
        if (o.Transport == QueueTransport.ServiceBus && (string.IsNullOrWhiteSpace(o.QueueName) || o.QueueName.Length > 260))
            yield return $"{prefix}QueueName '{o.QueueName}' is not a valid Service Bus queue name.";
        var hasIdentityEndpoint = o.Transport == QueueTransport.StorageQueue ? o.QueueServiceUri is not null : !string.IsNullOrWhiteSpace(o.FullyQualifiedNamespace);
        if (string.IsNullOrWhiteSpace(o.ConnectionString) && !hasIdentityEndpoint)
            yield return o.Transport == QueueTransport.StorageQueue
                ? $"{prefix}ConnectionString or {prefix}QueueServiceUri is required for the StorageQueue transport."
                : $"{prefix}ConnectionString or {prefix}FullyQualifiedNamespace is required for the ServiceBus transport.";
        if (o.MaxDeliveries < 1)
            yield return $"{prefix}MaxDeliveries must be at least 1 (was {o.MaxDeliveries}).";
        if (o.VisibilityTimeout < TimeSpan.FromSeconds(1) || o.VisibilityTimeout > TimeSpan.FromDays(7))
            yield return $"{prefix}VisibilityTimeout must be between 1 second and 7 days (was {o.VisibilityTimeout}).";
        if (o.RenewalInterval <= TimeSpan.Zero)
            yield return $"{prefix}RenewalInterval must be positive (was {o.RenewalInterval}).";
        else if (o.Transport == QueueTransport.StorageQueue && o.RenewalInterval >= o.VisibilityTimeout)
            yield return $"{prefix}RenewalInterval ({o.RenewalInterval}) must be shorter than VisibilityTimeout ({o.VisibilityTimeout}), or the message reappears between renewals.";
        if (o.MaxRenewalDuration <= TimeSpan.Zero)
            yield return $"{prefix}MaxRenewalDuration must be positive (was {o.MaxRenewalDuration}).";
        if (o.PollInterval <= TimeSpan.Zero)
            yield return $"{prefix}PollInterval must be positive (was {o.PollInterval}).";
    }

    // 3-63 characters in total, lower-case letters, digits and single dashes, starting and ending alphanumeric.
    [GeneratedRegex("^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$")]
    private static partial Regex StorageQueueName();
}
