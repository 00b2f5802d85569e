// Benchmarks: `./run bench <name> [args]`. Each benchmark is one file in this folder and reports its figures.
var name = args.Length > 0 ? args[0] : "";
if (name == "ingest") return await Pipeline.Benchmarks.IngestBenchmark.RunAsync(args[1..]);
if (name == "tokenizer") return TokenizerBenchmark.Run(args[1..]);
if (name == "model-step") return Pipeline.Benchmarks.ModelStepBenchmark.Run(args[1..]);
if (name == "worker") return await Pipeline.Benchmarks.WorkerBenchmark.RunAsync(args[1..]);
if (name == "orpo-step") return Pipeline.Benchmarks.OrpoStepBenchmark.Run(args[1..]);
if (name == "real-size") return Pipeline.Benchmarks.RealSize.RealSizeBenchmark.Run(args[1..]);
if (name == "real-size-run") return Pipeline.Benchmarks.RealSize.RealSizeBenchmark.RunOne(args[1..]);
Console.Error.WriteLine($"unknown benchmark '{name}'");
return 2;
