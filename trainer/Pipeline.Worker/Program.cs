// The trainer container's entry point (`pipeline-worker`): the queue worker host, configured from the environment.
return await Pipeline.Worker.WorkerHost.RunAsync(args, new Dictionary<string, string?>(), CancellationToken.None);
