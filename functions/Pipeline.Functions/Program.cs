// Functions host entry point: composition lives in AddPipelineFunctions().
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Pipeline.Functions.Composition;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddPipelineFunctions(builder.Configuration);
builder.Build().Run();
