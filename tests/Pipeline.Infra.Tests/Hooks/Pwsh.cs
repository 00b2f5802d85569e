// Finds PowerShell in the NuGet package that restore downloaded (PackageDownload of the PowerShell tool package) and
// runs it with `dotnet`, as the Windows hooks would run under pwsh.
using System.Reflection;

namespace Pipeline.Infra.Tests.Hooks;

public static class Pwsh
{
    public const string Version = "7.6.10";

    /// <summary>pwsh.dll of the package, for `dotnet pwsh.dll -File ...`.</summary>
    public static string Dll { get; } = Locate();

    private static string Locate()
    {
        var roots = new[]
        {
            typeof(Pwsh).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "NuGetPackageRoot")?.Value,
            Environment.GetEnvironmentVariable("NUGET_PACKAGES"),
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
        };
        var tried = roots.Where(r => !string.IsNullOrWhiteSpace(r))
            .Select(r => Path.Combine(r!, "powershell", Version, "tools", "net10.0", "any", "unix", "pwsh.dll"))
            .ToList();
        return tried.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"PowerShell not found; restore tests/Pipeline.Infra.Tests (PackageDownload PowerShell {Version}). Tried: {string.Join(", ", tried)}");
    }
}
