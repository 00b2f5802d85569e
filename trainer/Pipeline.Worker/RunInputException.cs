// A request that can never succeed as sent (missing dataset, no base model, invalid profile): the run fails with this
// reason and the message is dead-lettered, instead of being retried.
namespace Pipeline.Worker;

public sealed class RunInputException(string reason, Exception? inner = null) : Exception(reason, inner);
