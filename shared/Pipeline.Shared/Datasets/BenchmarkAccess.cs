// The ingest benchmark (bench/Pipeline.Benchmarks/IngestBenchmark.cs, `--mode stages`) times the internal stages of
// validation one by one.
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Pipeline.Benchmarks")]
