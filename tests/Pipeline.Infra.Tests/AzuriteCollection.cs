// xunit needs collection definitions in the test assembly itself: one Azurite for this project's storage checks.
using Pipeline.Testing;

namespace Pipeline.Infra.Tests;

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
