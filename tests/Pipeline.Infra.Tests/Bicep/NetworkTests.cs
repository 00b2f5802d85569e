// The optional private network (vnetEnabled, off by default) as compiled: storage, the work share and Service Bus
// behind private endpoints with private DNS, the Functions app and the Container Apps environment integrated,
// Service Bus on Premium (the tier with private endpoints). Deploying it was not run here (no subscription).
using System.Text.Json;

namespace Pipeline.Infra.Tests.Bicep;

public sealed class NetworkTests(BicepBuildFixture bicep) : IClassFixture<BicepBuildFixture>
{
    private JsonElement Template => bicep.MainTemplate;

    [Fact]
    public void Private_network_is_off_by_default_and_switched_by_vnet_enabled()
    {
        Assert.False(Template.Path("parameters", "vnetEnabled", "defaultValue").GetBoolean());
        Assert.Equal("[parameters('vnetEnabled')]", ArmTemplate.Module(Template, "network").GetProperty("condition").GetString());
        using var parameters = JsonDocument.Parse(File.ReadAllText(Path.Combine(BicepCli.InfraDir, "main.parameters.json")));
        Assert.Equal("${VNET_ENABLED=false}", parameters.RootElement.Path("parameters", "vnetEnabled", "value").GetString());
    }

    [Fact]
    public void Storage_work_share_and_service_bus_get_private_endpoints_with_private_dns()
    {
        var network = ArmTemplate.ModuleTemplate(Template, "network");
        var endpoints = network.Path("variables", "endpoints").EnumerateArray().ToList();

        Assert.Equal(["blob", "queue", "table", "file", "namespace"], endpoints.Select(e => e.GetProperty("group").GetString()));
        Assert.Contains("privatelink.servicebus.windows.net", endpoints.Select(e => e.GetProperty("zone").GetString()));
        Assert.Single(ArmTemplate.OfType(network, "Microsoft.Network/privateEndpoints"));          // one declaration, copied per endpoint
        Assert.Single(ArmTemplate.OfType(network, "Microsoft.Network/privateDnsZones/virtualNetworkLinks"));
        Assert.Single(ArmTemplate.OfType(network, "Microsoft.Network/privateEndpoints/privateDnsZoneGroups"));
        var subnets = ArmTemplate.Single(network, "Microsoft.Network/virtualNetworks").Path("properties", "subnets").EnumerateArray().ToList();
        Assert.Equal(["functions", "jobs", "private-endpoints"], subnets.Select(s => s.GetProperty("name").GetString()));
        Assert.All(subnets.Take(2), s => Assert.Equal("Microsoft.App/environments",
            s.Path("properties", "delegations")[0].Path("properties", "serviceName").GetString()));
    }

    [Fact]
    public void With_the_network_the_data_planes_close_and_both_hosts_join_it()
    {
        var storage = ArmTemplate.Single(ArmTemplate.ModuleTemplate(Template, "storage"), "Microsoft.Storage/storageAccounts");
        Assert.Equal("[if(parameters('vnetEnabled'), 'Deny', 'Allow')]", storage.Expression("properties", "networkAcls", "defaultAction"));
        var share = ArmTemplate.Single(ArmTemplate.ModuleTemplate(Template, "workShare"), "Microsoft.Storage/storageAccounts");
        Assert.Equal("[if(parameters('vnetEnabled'), 'Deny', 'Allow')]", share.Expression("properties", "networkAcls", "defaultAction"));

        var ns = ArmTemplate.Single(Template, "Microsoft.ServiceBus/namespaces");
        Assert.Contains("Premium", ns.Expression("sku"));
        Assert.Equal("[if(parameters('vnetEnabled'), 'Disabled', 'Enabled')]", ns.Expression("properties", "publicNetworkAccess"));

        var site = ArmTemplate.Single(Template, "Microsoft.Web/sites");
        Assert.Contains("parameters('subnetId')", site.Expression("properties", "virtualNetworkSubnetId"));
        Assert.Contains("functionsSubnetId", ArmTemplate.Module(Template, "functions").Expression("properties", "parameters", "subnetId"));
        var environment = ArmTemplate.Single(Template, "Microsoft.App/managedEnvironments");
        Assert.Contains("infrastructureSubnetId", environment.Expression("properties", "vnetConfiguration"));
        Assert.Contains("jobsSubnetId", ArmTemplate.Module(Template, "containerApps").Expression("properties", "parameters", "subnetId"));
    }
}
