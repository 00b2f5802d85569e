// xunit needs collection definitions in the test assembly itself.
namespace Pipeline.Cli.Tests;

/// <summary>Tests that touch process-wide state (Console, the global torch RNG) run alone, never beside other tests.</summary>
[CollectionDefinition(nameof(GlobalStateCollection), DisableParallelization = true)]
public sealed class GlobalStateCollection;
