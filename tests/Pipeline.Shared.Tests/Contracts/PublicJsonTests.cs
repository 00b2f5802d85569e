// What read endpoints show: stored documents with local paths, URL hosts, the machine name and worker ids taken out.
using Pipeline.Shared.Contracts;

namespace Pipeline.Shared.Tests.Contracts;

public sealed class PublicJsonTests
{
    [Fact]
    public void Local_paths_hosts_and_worker_ids_are_replaced_in_every_string()
    {
        var machine = Environment.MachineName;
        var json = $$"""
            {"worker_id":"{{machine}}-4242","reason":"attempt 1 failed (FileNotFoundException: Could not find file '/var/lib/pipeline/runs/r/model.safetensors')",
             "base_model":{"source":"/home/me/models/tiny","sha256":"00"},"tokenizer":"C:\\models\\llama",
             "endpoint":"http://127.0.0.1:10000/devstoreaccount1/models","note":"trained on {{machine}}",
             "list":["/srv/data/a.jsonl","eval_rewards/accuracies"],"metric":"eval_rewards/accuracies","step":7}
            """;

        var redacted = PublicJson.Redact(json);

        foreach (var secret in new[] { "/var/lib", "/home/me", "C:\\\\models", "127.0.0.1", "/srv/data", machine })
            Assert.DoesNotContain(secret, redacted, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(PublicJson.PathMark, redacted);
        Assert.Contains("http://<host>", redacted);
        Assert.Contains("\"metric\": \"eval_rewards/accuracies\"", redacted);
        Assert.Contains("\"step\": 7", redacted);
        Assert.Matches("\"worker_id\": \"w-[0-9a-f]{8}\"", redacted);
    }
}
