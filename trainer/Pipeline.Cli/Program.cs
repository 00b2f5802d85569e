// The `pipeline` executable: verbs live in Commands/.
return await Pipeline.Cli.Commands.CommandLine.RunAsync(args);
