// Functions host entry point: composition lives in AddPipelineFunctions().
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Pipeline.Functions.Composition;
using Pipeline.Shared.Telemetry;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddPipelineFunctions(builder.Configuration);
builder.Services.AddPipelineTelemetry(builder.Configuration, "pipeline-functions");
builder.Build().Run();
