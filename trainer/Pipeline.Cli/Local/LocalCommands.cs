// What `pipeline validate` and `pipeline ingest` do, host-neutral so tests drive it: arguments in, exit code out.
// Exit codes: 0 usable / ingested, 1 not usable / quarantined / failed (storage, profile), 2 usage error. Never throws
// for bad input: every reader error is a reason in the report.
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Queues.StorageQueue;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Cli.Local;

public static class ExitCodes
{
    public const int Ok = 0;
    public const int NotUsable = 1;
    public const int Usage = 2;
}

/// <summary>Arguments of `validate FILE [--schema NAME] [--tokenizer DIR] [--max-length N] [--output REPORT.json] [--profile P.json]`.</summary>
public sealed record ValidateArguments(string? File, string? Schema = null, string? Tokenizer = null, int? MaxLength = null, string? Output = null, string? Profile = null);

/// <summary>Arguments of `ingest --target T FILE`.</summary>
public sealed record IngestArguments(string? Target, string? File);

public static class LocalCommands
{
    public static async Task<int> ValidateAsync(ValidateArguments a, Func<string, ITextTokenizer> resolveTokenizer, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(a.File)) return Usage(stderr, "validate needs a FILE");
        if (!File.Exists(a.File)) return Usage(stderr, $"{a.File}: no such file");
        TargetProfile profile;
        ITextTokenizer? tokenizer = null;
        try
        {
            profile = a.Profile is null ? TargetProfile.Default : TargetProfile.Parse(await File.ReadAllTextAsync(a.Profile, ct), a.Profile);
            profile = profile with { Schema = a.Schema ?? profile.Schema, MaxLength = a.MaxLength ?? profile.MaxLength };
            if (profile.Problems() is { Count: > 0 } problems) return Usage(stderr, string.Join("; ", problems));
            if ((a.Tokenizer ?? profile.Tokenizer) is { } name) tokenizer = resolveTokenizer(name);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or IOException or UnauthorizedAccessException or TokenizerFormatException)
        {
            return Usage(stderr, e.Message);
        }

        var settings = new ValidationSettings { Profile = profile, Tokenizer = tokenizer, TokenizerName = a.Tokenizer ?? profile.Tokenizer };
        ValidationResult result;
        try
        {
            var stream = new FileStream(a.File, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            result = await DatasetValidator.ValidateAsync(stream, Path.GetFileName(a.File), settings, DatasetSinks.None, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Usage(stderr, $"{a.File}: {e.Message}");
        }
        var report = result.Report;
        if (a.Output is not null) await File.WriteAllTextAsync(a.Output, report.ToJson(), ct);
        await stdout.WriteLineAsync(Summary(a.File, report));
        return report.Usable ? ExitCodes.Ok : ExitCodes.NotUsable;
    }

    public static async Task<int> IngestAsync(IngestArguments a, StorageOptions storage, Func<string, ITextTokenizer> resolveTokenizer, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (TargetName.Problem(a.Target) is { } targetProblem) return Usage(stderr, targetProblem);
        if (string.IsNullOrEmpty(a.File) || !File.Exists(a.File)) return Usage(stderr, $"{a.File}: no such file");
        try
        {
            storage = storage.Validated();
        }
        catch (ArgumentException e)
        {
            return Usage(stderr, e.Message);
        }
        await using var local = LocalIngestion.Create(storage, resolveTokenizer);
        var service = local.Service;
        var name = Path.GetFileName(a.File);
        try
        {
            await using (var file = File.OpenRead(a.File))
            {
                var upload = await service.UploadAsync(a.Target!, name, file, ct);
                if (upload.Outcome is UploadOutcome.InvalidName) return Usage(stderr, upload.Message);
                if (upload.Outcome is UploadOutcome.Conflict)
                {
                    await stderr.WriteLineAsync(upload.Message);
                    return ExitCodes.NotUsable;
                }
                await stdout.WriteLineAsync(upload.Message);
            }
            var result = await service.IngestAsync(a.Target!, name, ct);
            await stdout.WriteLineAsync($"{result.Outcome}: {result.Message}");
            if (result.RequestId is not null) await stdout.WriteLineAsync($"training request {result.RequestId} (published now: {result.PublishedNow})");
            if (result.Report is { } report) await stdout.WriteLineAsync(Summary(a.File, report));
            return result.Outcome is IngestOutcome.Accepted or IngestOutcome.AlreadyIngested ? ExitCodes.Ok : ExitCodes.NotUsable;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Storage unreachable, a broken target profile or tokenizer: say so plainly; the file on disk is untouched.
            await stderr.WriteLineAsync($"ingest failed: {(e is FormatException ? "invalid target profile: " : "")}{e.Message}");
            return ExitCodes.NotUsable;
        }
    }

    public static string Summary(string file, ValidationReport r)
    {
        var lines = new List<string>
        {
            $"{file}: {(r.Usable ? $"usable, dataset {r.DatasetId}" : "NOT usable")} ({r.Schema ?? "no schema"}): " +
            $"{r.RowsRead} rows read, {r.RowsAccepted} accepted ({r.TrainRows} train, {r.EvalRows} eval), {r.RowsRejected} rejected",
        };
        lines.AddRange(r.FileProblems.Select(p => $"  file: {p.Code}: {p.Message}"));
        lines.AddRange(r.Reasons.Select(kv => $"  {kv.Key}: {kv.Value} rows"));
        lines.AddRange(r.Rejections.Take(10).Select(x => $"  {file}:{x.Line}: {x.Reason}: {x.Message}"));
        if ((r.TokenLengths ?? r.CharLengths) is { } len) lines.Add($"  lengths ({len.Unit}): p50 {len.P50}, p90 {len.P90}, p99 {len.P99}, max {len.Max}");
        return string.Join(Environment.NewLine, lines);
    }

    private static int Usage(TextWriter stderr, string message)
    {
        stderr.WriteLine($"usage error: {message}");
        return ExitCodes.Usage;
    }
}
