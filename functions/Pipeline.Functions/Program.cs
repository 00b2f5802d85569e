// Functions host entry point: composition lives in AddPipelineFunctions() and AddPipelineFunctionsTelemetry().
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Pipeline.Functions.Composition;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddPipelineFunctions(builder.Configuration);
builder.Services.AddPipelineFunctionsTelemetry(builder.Configuration);
builder.Build().Run();
