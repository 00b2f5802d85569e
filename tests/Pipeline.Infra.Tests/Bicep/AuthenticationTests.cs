// App Service Authentication on the Functions app, as compiled: with AUTH_CLIENT_ID the platform signs callers in with
// Entra ID and lets unauthenticated requests through (the functions answer 401 and check the target's access section
// themselves; Event Grid's webhook must pass); without it nothing is configured and the functions refuse every caller.
using System.Text.Json;

namespace Pipeline.Infra.Tests.Bicep;

public sealed class AuthenticationTests(BicepBuildFixture bicep) : IClassFixture<BicepBuildFixture>
{
    private JsonElement Functions => ArmTemplate.ModuleTemplate(bicep.MainTemplate, "functions");

    [Fact]
    public void Auth_client_id_comes_from_the_azd_environment_and_reaches_the_functions_module()
    {
        Assert.Equal("", bicep.MainTemplate.Path("parameters", "authClientId", "defaultValue").GetString());
        using var parameters = JsonDocument.Parse(File.ReadAllText(Path.Combine(BicepCli.InfraDir, "main.parameters.json")));
        Assert.Equal("${AUTH_CLIENT_ID}", parameters.RootElement.Path("parameters", "authClientId", "value").GetString());
        Assert.Equal("[parameters('authClientId')]",
            ArmTemplate.Module(bicep.MainTemplate, "functions").Expression("properties", "parameters", "authClientId", "value"));
    }

    [Fact]
    public void Entra_sign_in_is_configured_only_with_a_client_id_and_lets_anonymous_requests_reach_the_functions()
    {
        var auth = Assert.Single(ArmTemplate.OfType(Functions, "Microsoft.Web/sites/config"),
            c => c.GetProperty("name").GetString()!.Contains("authsettingsV2"));
        Assert.Equal("[not(empty(parameters('authClientId')))]", auth.GetProperty("condition").GetString());
        Assert.True(auth.Path("properties", "platform", "enabled").GetBoolean());
        Assert.False(auth.Path("properties", "globalValidation", "requireAuthentication").GetBoolean());
        Assert.Equal("AllowAnonymous", auth.Path("properties", "globalValidation", "unauthenticatedClientAction").GetString());
        var aad = auth.Path("properties", "identityProviders", "azureActiveDirectory");
        Assert.Equal("[parameters('authClientId')]", aad.Path("registration", "clientId").GetString());
        Assert.Contains("tenant().tenantId", aad.Path("registration", "openIdIssuer").GetString());
        Assert.Contains("api://", aad.Path("validation", "allowedAudiences").GetRawText());
    }
}
