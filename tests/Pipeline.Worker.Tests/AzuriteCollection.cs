// xunit needs collection definitions in the test assembly itself: one Azurite per test project.
using Pipeline.Testing;

namespace Pipeline.Worker.Tests;

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
