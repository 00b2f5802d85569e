// SASL mechanism MSSBCBS, which the Service Bus client always asks for: it means "the token follows over $cbs",
// so the SASL step itself accepts at once.
using Amqp;
using Amqp.Sasl;
using Amqp.Types;

namespace Pipeline.Testing.ServiceBus;

internal sealed class CbsSaslProfile() : SaslProfile(Name)
{
    public static readonly Symbol Name = new("MSSBCBS");

    protected override ITransport UpgradeTransport(ITransport transport) => transport;

    protected override DescribedList? GetStartCommand(string hostname) => null;

    protected override DescribedList OnCommand(DescribedList command) => new SaslOutcome { Code = SaslCode.Ok };
}
