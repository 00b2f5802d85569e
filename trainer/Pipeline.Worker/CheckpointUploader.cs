// Mirrors the engine's local checkpoints to storage in the background: polls {output}/checkpoints for complete
// checkpoint-NNNNNN folders newer than the last uploaded one, and uploads them (with metrics.jsonl, so the report's
// curves survive a resume elsewhere). The training step never waits for storage.
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;
using Polly;

namespace Pipeline.Worker;

public sealed class CheckpointUploader : IAsyncDisposable
{
    private readonly CheckpointStore _store;
    private readonly BlobClient _metricsBlob;
    private readonly string _outputDir;
    private readonly ResiliencePipeline _retry;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Task _loop;

    public CheckpointUploader(CheckpointStore store, BlobClient metricsBlob, string outputDir, int? alreadyUploadedStep,
        TimeSpan pollInterval, ResiliencePipeline retry, ILogger log)
    {
        (_store, _metricsBlob, _outputDir, _retry, _log) = (store, metricsBlob, outputDir, retry, log);
        LastUploadedStep = alreadyUploadedStep ?? 0;
        _loop = LoopAsync(pollInterval, _stop.Token);
    }

    public int LastUploadedStep { get; private set; }

    public static int StepOf(string checkpointFolder) => Checkpoint.StepOf(checkpointFolder);

    public static string LocalName(int step) => Checkpoint.Name(step);

    /// <summary>Uploads the newest local checkpoint if it is not in storage yet.</summary>
    public async Task UploadNewestAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var newest = Checkpoint.List(_outputDir).LastOrDefault();
            if (newest is null || StepOf(newest) <= LastUploadedStep) return;
            var step = StepOf(newest);
            try
            {
                var metrics = Path.Combine(_outputDir, TrainOutput.MetricsFile);
                if (File.Exists(metrics))
                {
                    var snapshot = await File.ReadAllBytesAsync(metrics, ct);
                    await _retry.ExecuteAsync(async t => await _metricsBlob.UploadAsync(BinaryData.FromBytes(snapshot), overwrite: true, t), ct);
                }
                await _store.UploadAsync(newest, step, ct);
            }
            catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException)
            {
                _log.LogInformation("Checkpoint step {Step} was pruned locally before its upload; a newer one follows", step);
                return;
            }
            LastUploadedStep = step;
            _log.LogInformation("Uploaded checkpoint step {Step}", step);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task LoopAsync(TimeSpan interval, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    await UploadNewestAsync(stop);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _log.LogWarning(e, "Uploading a checkpoint failed; retrying at the next poll");
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        _gate.Dispose();
    }
}
