// The trainer's executable: `pipeline <verb>`. Verbs live in Cli/.
return await Pipeline.Trainer.Cli.CommandLine.RunAsync(args);
