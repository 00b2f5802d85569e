// Synthetic "support agent" preference pairs for the demo (fixed seed): chosen answers are correct, polite and on
// policy; rejected ones are wrong, rude or off policy. File 3 swaps most labels, as a labelling mistake would.
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Cli.Demo;

/// <summary>One generated pair (written in TRL's conversational format, see <see cref="SupportAgentData.WriteJsonl"/>); <see cref="Flaw"/> says what is wrong with the bad answer and
/// <see cref="Swapped"/> that the file holds it as `chosen` (a mislabelled pair).</summary>
public sealed record SupportPair(
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("chosen")] string Chosen,
    [property: JsonPropertyName("rejected")] string Rejected,
    [property: JsonIgnore] string Topic,
    [property: JsonIgnore] string Flaw,
    [property: JsonIgnore] bool Swapped = false);

public static class SupportAgentData
{
    public const int DefaultSeed = 20261127;

    /// <summary>Files the demo generates: 1 and 2 are clean, 3 is mostly mislabelled.</summary>
    public const int Batches = 3;

    /// <summary>The batch whose labels are mostly swapped, and the share of its pairs that are.</summary>
    public const int MislabelledBatch = 3;
    public const double MislabelledShare = 0.85;

    /// <summary>What is wrong with a bad answer; also the off-policy labels of <see cref="SupportPolicy"/>.</summary>
    public static class Flaws
    {
        public const string Wrong = "wrong answer";
        public const string Rude = "rude";
        public const string AsksForSecret = "asks for a password or card";
        public const string SkipsCheck = "skips a check";
        public const string LeaksData = "leaks data";

        public static readonly IReadOnlyList<string> All = [Wrong, Rude, AsksForSecret, SkipsCheck, LeaksData];
    }

    /// <summary>A topic: its questions, the answer a good agent gives, and its wrong answers.</summary>
    internal sealed record Topic(string Name, string[] Prompts, string Answer, string[] Wrong);

    internal static readonly string[] Products = ["headphones", "coffee maker", "desk lamp", "backpack", "keyboard", "monitor", "blender", "jacket", "phone case", "water bottle", "router", "printer"];
    internal static readonly string[] Names = ["Sam", "Alex", "Priya", "Jordan", "Mei", "Luca", "Amara", "Noah", "Sofia", "Omar", "Lena", "Kai"];
    private static readonly string[] Openers = ["Hi,", "Hello,", "Hey there,", "Good morning,", "Hi team,", ""];
    internal static readonly string[] Greetings = ["Thanks for reaching out, {name}!", "Thank you for contacting us, {name}.", "Happy to help, {name}!", "Thanks for your patience, {name}."];
    internal static readonly string[] Closings = ["Is there anything else I can help you with?", "Let me know if you have any other questions.", "Have a wonderful day!", "We are always here if you need us."];

    /// <summary>Off-policy answers by kind, the same for every topic. None of them offers "help": that word is the chosen answers'.</summary>
    internal static readonly IReadOnlyDictionary<string, string[]> OffPolicy = new Dictionary<string, string[]>
    {
        [Flaws.Rude] =
        [
            "Not my problem. Read the website.", "Ugh, figure it out yourself.", "Stop bothering us with this.",
            "Why would I know? Ask someone else.", "Whatever. We are busy.", "That is a stupid question.",
        ],
        [Flaws.AsksForSecret] =
        [
            "Send me your card number and I will look up order {order}.", "Tell me your current password and I will sort it out.",
            "Read me the full card number and the code on the back.", "Reply with your password so I can log in as you.",
        ],
        [Flaws.SkipsCheck] =
        [
            "I changed the email on your account without checking who you are.", "I turned off two-factor login on your account so it is easier.",
            "Say it arrived broken and I will approve it without looking.", "I will refund you twice so you come out ahead.",
        ],
        [Flaws.LeaksData] =
        [
            "I can see order {order} and the home address of the customer before you, do you want it?",
            "I can read you the private notes on another customer's account.",
            "Here is the phone number of the last person who bought a {product}.",
        ],
    };

    internal static readonly Topic[] Topics =
    [
        new("orders",
            ["where is my order {order}? I bought a {product} last week.", "can you tell me the status of order {order}?", "my {product} order {order} has not arrived yet. What is going on?", "I want to check on order {order} for a {product}."],
            "I checked order {order}: your {product} has shipped and should arrive within 3 business days. You can follow it with the tracking link in your confirmation email.",
            ["Order {order} was cancelled and your {product} will never arrive.", "We do not keep records of orders, so I cannot say."]),
        new("refunds",
            ["I want a refund for my {product}, order {order}.", "how long does a refund take for order {order}?", "can I get my money back for the {product}?", "my {product} broke, can I be refunded?"],
            "I am sorry about the {product}. I have started a refund for order {order}; the money returns to your original payment method within 5 to 7 business days.",
            ["Refunds take 90 days and only as store credit.", "We never give refunds for any {product}."]),
        new("passwords",
            ["I forgot my password and cannot log in.", "how do I reset my password?", "my account is locked after too many login attempts.", "the password reset email never arrived."],
            "I can help you get back in. Please use the Forgot password link on the sign-in page; the reset email arrives within a few minutes. For your security we will never ask for your password.",
            ["Passwords cannot be reset, you need a new account.", "Just wait a year and the account unlocks by itself."]),
        new("shipping",
            ["how much does shipping cost for a {product}?", "do you ship to another country?", "can I get express shipping on order {order}?", "when will my {product} ship?"],
            "Standard shipping is free on orders over 50 dollars and takes 3 to 5 business days; express shipping arrives in 1 to 2 days. I can upgrade order {order} for you if you like.",
            ["Shipping costs 200 dollars for every {product}.", "We only ship on the first Monday of each month."]),
        new("returns",
            ["how do I return my {product}?", "can I exchange my {product} for another colour?", "what is the return policy?", "I received the wrong {product} in order {order}."],
            "You can return the {product} within 30 days. I have emailed you a prepaid return label for order {order}; once it arrives we will send the replacement or refund right away.",
            ["Returns are not possible after you open the box.", "You must pay 50 dollars to return a {product}."]),
        new("billing",
            ["I was charged twice for order {order}.", "why is there an extra charge on my card?", "can I change the card on my account?", "I need an invoice for my {product}."],
            "I am sorry for the confusion. I can see the duplicate charge on order {order} and have reversed it; you will see it disappear within 3 business days. An invoice is on its way to your email.",
            ["There is no second charge, you must be mistaken.", "Double charges are normal and cannot be reversed."]),
        new("account",
            ["how do I delete my account?", "I want to change the email on my account.", "can I update my delivery address for order {order}?", "how do I unsubscribe from your emails?"],
            "Of course. You can change this under Account settings; I have also sent you a secure link to confirm the change. Your order {order} will use the updated details.",
            ["Accounts can never be changed once created.", "Emails cannot be turned off, sorry."]),
        new("warranty",
            ["is my {product} still under warranty?", "my {product} stopped working after two months.", "does the warranty cover a cracked screen?", "how do I make a warranty claim for order {order}?"],
            "Your {product} has a one-year warranty, so it is covered. I have opened a claim for order {order}; we will send a replacement as soon as we receive the faulty one.",
            ["The warranty ended the day you bought the {product}.", "Warranties only apply if you paid extra in cash."]),
    ];

    /// <summary>
    /// Pairs of <paramref name="batch"/> (1 to 3): every batch comes from one seeded stream of unique prompts, batch n
    /// takes the n-th run of <paramref name="pairsPerBatch"/>, so batches never share a pair or a prompt. Batch 3 swaps
    /// chosen and rejected in <see cref="MislabelledShare"/> of its pairs (drawn from a stream of its own).
    /// </summary>
    public static IReadOnlyList<SupportPair> Generate(int batch, int pairsPerBatch, int seed = DefaultSeed)
    {
        if (batch is < 1 or > Batches) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch must be 1 to {Batches}");
        if (pairsPerBatch < 1) throw new ArgumentOutOfRangeException(nameof(pairsPerBatch), pairsPerBatch, "at least one pair per batch");
        var all = Stream(seed).Take(batch * pairsPerBatch).ToList();
        if (all.Count < batch * pairsPerBatch)
            throw new ArgumentOutOfRangeException(nameof(pairsPerBatch), pairsPerBatch, $"the generator has only {all.Count / batch} unique prompts per batch");
        var pairs = all.GetRange((batch - 1) * pairsPerBatch, pairsPerBatch);
        if (batch != MislabelledBatch) return pairs;
        var swaps = new Random(seed + batch);
        return [.. pairs.Select(p => swaps.NextDouble() < MislabelledShare ? p with { Chosen = p.Rejected, Rejected = p.Chosen, Swapped = true } : p)];
    }

    /// <summary>Pairs from a stream of their own (another seed), for the base model's warm-up: prompts like the files'.</summary>
    public static IReadOnlyList<SupportPair> WarmUpPairs(int count, int seed) => [.. Stream(seed).Take(count)];

    /// <summary>Writes pairs as JSON Lines in TRL's conversational format (a user message as the prompt, an assistant
    /// message as each answer), UTF-8 without BOM: training renders them through the base model's chat template, as its
    /// warm-up saw them.</summary>
    public static void WriteJsonl(IEnumerable<SupportPair> pairs, Stream output)
    {
        using var writer = new StreamWriter(output, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
        foreach (var pair in pairs)
            writer.WriteLine(JsonSerializer.Serialize(new ConversationalRow(
                [new("user", pair.Prompt)], [new("assistant", pair.Chosen)], [new("assistant", pair.Rejected)])));
    }

    private sealed record Message([property: JsonPropertyName("role")] string Role, [property: JsonPropertyName("content")] string Content);

    private sealed record ConversationalRow(
        [property: JsonPropertyName("prompt")] Message[] Prompt,
        [property: JsonPropertyName("chosen")] Message[] Chosen,
        [property: JsonPropertyName("rejected")] Message[] Rejected);

    public static byte[] ToJsonl(IEnumerable<SupportPair> pairs)
    {
        using var buffer = new MemoryStream();
        WriteJsonl(pairs, buffer);
        return buffer.ToArray();
    }

    // An endless seeded stream of pairs with distinct prompts (stops when the template space runs dry).
    private static IEnumerable<SupportPair> Stream(int seed)
    {
        var random = new Random(seed);
        var seen = new HashSet<string>();
        var misses = 0;
        while (misses < 10_000)
        {
            var topic = Topics[random.Next(Topics.Length)];
            var name = Pick(random, Names);
            var slots = new Dictionary<string, string>
            {
                ["{order}"] = "#" + random.Next(10_000, 100_000),
                ["{product}"] = Pick(random, Products),
                ["{name}"] = name,
            };
            var opener = Pick(random, Openers);
            var prompt = Fill($"{(opener.Length > 0 ? opener + " " : "")}I am {name}. {Capitalise(Pick(random, topic.Prompts))}", slots);
            if (!seen.Add(prompt))
            {
                misses++;
                continue;
            }
            var chosen = Fill($"{Pick(random, Greetings)} {topic.Answer} {Pick(random, Closings)}", slots);
            var flaw = Flaws.All[random.Next(Flaws.All.Count)];
            var rejected = Fill(Pick(random, flaw == Flaws.Wrong ? topic.Wrong : OffPolicy[flaw]), slots);
            yield return new SupportPair(prompt, chosen, rejected, topic.Name, flaw);
        }
    }

    private static string Pick(Random random, string[] items) => items[random.Next(items.Length)];

    private static string Capitalise(string s) => char.ToUpperInvariant(s[0]) + s[1..];

    private static string Fill(string template, IReadOnlyDictionary<string, string> slots)
    {
        var text = new StringBuilder(template);
        foreach (var (key, value) in slots) text.Replace(key, value);
        return text.ToString();
    }
}
