// Turns one raw row (UTF-8 JSON bytes) into a PreferencePair or a rejection with a stable reason code.
// Schemas: TRL standard, conversational, implicit prompt; OpenAI preference fine-tuning; a profile's column mapping.
using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;
using Pipeline.Shared.Targets;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Shared.Datasets;

/// <summary>Parsed row: a pair and the schema it was read as, or a rejection (<see cref="Reason"/> set).</summary>
public readonly record struct ParsedRow(PreferencePair? Pair, string? Schema, string? Reason, string? Message)
{
    public static ParsedRow Reject(string reason, string message, string? schema = null) => new(null, schema, reason, message);
}

public sealed class RowParser(string? forcedSchema, IReadOnlyDictionary<string, string>? columnMapping)
{
    /// <summary>Deep enough for any real row; 10,000-deep nesting fails fast instead of overflowing the stack.</summary>
    public const int MaxJsonDepth = 64;

    private static readonly JsonDocumentOptions DocOptions = new() { MaxDepth = MaxJsonDepth };

    /// <summary>C0 and C1 control characters and DEL, except tab, line feed and carriage return (vectorised search).</summary>
    private static readonly SearchValues<char> ControlChars = SearchValues.Create(
        Enumerable.Range(0, 0x20).Concat(Enumerable.Range(0x7F, 0x21)).Where(c => c is not ('\t' or '\n' or '\r')).Select(c => (char)c).ToArray());

    private readonly string? _schema = columnMapping is { Count: > 0 } ? SchemaNames.Mapped : forcedSchema;

    /// <summary>True when rows are read as the TRL standard schema (forced or detected), the case
    /// <see cref="StandardRowWriter"/> handles without a DOM.</summary>
    internal bool MayBeStandard => _schema is null or SchemaNames.Standard;

    /// <summary>The top-level fields this parser reads: the columns worth reading from a columnar (Parquet) file.</summary>
    internal IReadOnlyCollection<string> Fields => _schema == SchemaNames.Mapped
        ? new[] { "prompt", "system", "chosen", "rejected" }.Select(Col).ToHashSet(StringComparer.Ordinal)
        : ["prompt", "system", "chosen", "rejected", "input", "preferred_output", "non_preferred_output"];

    public ParsedRow Parse(ReadOnlyMemory<byte> json) => CheckBytes(json.Span) ?? ParseJson(json);

    /// <summary>Null when <paramref name="row"/> passes the byte-level checks (valid UTF-8, no raw control bytes but tab,
    /// CR and LF), else its invalid_encoding message. Every reader of preference rows applies it (ingestion, eval, train).</summary>
    public static string? EncodingProblem(ReadOnlySpan<byte> row) => CheckBytes(row)?.Message;

    /// <summary>Null when <paramref name="content"/> (a decoded message) holds no control character but tab, CR and LF,
    /// else the invalid_encoding message.</summary>
    public static string? ContentProblem(string content)
    {
        var at = content.AsSpan().IndexOfAny(ControlChars);
        return at < 0 ? null : $"contains control character U+{(int)content[at]:X4}";
    }

    /// <summary>The byte-level checks every row passes first: valid UTF-8, no raw control bytes but tab, CR and LF.</summary>
    internal static ParsedRow? CheckBytes(ReadOnlySpan<byte> span)
    {
        if (!Utf8.IsValid(span)) return ParsedRow.Reject(ReasonCodes.InvalidEncoding, "row is not valid UTF-8");
        var control = span.IndexOfAnyInRange((byte)0, (byte)0x1F);
        while (control >= 0 && span[control] is (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            var next = span[(control + 1)..].IndexOfAnyInRange((byte)0, (byte)0x1F);
            control = next < 0 ? -1 : control + 1 + next;
        }
        if (control >= 0) return ParsedRow.Reject(ReasonCodes.InvalidEncoding, $"row contains control character 0x{span[control]:X2} at byte {control + 1}");
        return null;
    }

    /// <summary>The DOM path: every schema, every reason code. Expects a row that passed <see cref="CheckBytes"/>.</summary>
    internal ParsedRow ParseJson(ReadOnlyMemory<byte> json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, DocOptions);
        }
        catch (JsonException e)
        {
            return ParsedRow.Reject(ReasonCodes.MalformedJson, Shorten(e.Message));
        }
        using (doc)
        {
            try
            {
                return ParseElement(doc.RootElement);
            }
            catch (InvalidOperationException e)
            {
                // GetString on a string with an unpaired surrogate escape (\ud800) lands here.
                return ParsedRow.Reject(ReasonCodes.InvalidEncoding, Shorten(e.Message));
            }
        }
    }

    private ParsedRow ParseElement(JsonElement row)
    {
        if (row.ValueKind != JsonValueKind.Object)
            return ParsedRow.Reject(ReasonCodes.WrongType, $"row must be a JSON object, not {Kind(row)}");
        var schema = _schema ?? Detect(row);
        return schema switch
        {
            SchemaNames.Standard => Standard(row, "prompt", "system", "chosen", "rejected", SchemaNames.Standard),
            SchemaNames.Mapped => Standard(row, Col("prompt"), Col("system"), Col("chosen"), Col("rejected"), SchemaNames.Mapped),
            SchemaNames.Conversational => Conversational(row),
            SchemaNames.ImplicitPrompt => Implicit(row),
            SchemaNames.OpenAi => OpenAi(row),
            _ => ParsedRow.Reject(ReasonCodes.UnknownSchema,
                $"row has fields [{string.Join(", ", row.EnumerateObject().Take(8).Select(p => p.Name))}], which match no known schema"),
        };
    }

    private string Col(string field) => columnMapping!.TryGetValue(field, out var c) ? c : field;

    private static string? Detect(JsonElement row)
    {
        if (row.TryGetProperty("input", out _) || row.TryGetProperty("preferred_output", out _) || row.TryGetProperty("non_preferred_output", out _))
            return SchemaNames.OpenAi;
        var hasChosen = row.TryGetProperty("chosen", out var chosen);
        var hasRejected = row.TryGetProperty("rejected", out _);
        if (row.TryGetProperty("prompt", out var prompt))
        {
            // TRL maybe_extract_prompt: a prompt of the other kind than the completions (a string next to
            // conversations) is ignored and the prompt extracted from them.
            if (hasChosen && prompt.ValueKind == JsonValueKind.String && chosen.ValueKind == JsonValueKind.Array) return SchemaNames.ImplicitPrompt;
            return prompt.ValueKind == JsonValueKind.Array ? SchemaNames.Conversational : SchemaNames.Standard;
        }
        if (hasChosen && chosen.ValueKind is JsonValueKind.Array or JsonValueKind.String) return SchemaNames.ImplicitPrompt;
        if (hasChosen || hasRejected) return SchemaNames.Standard; // reported as missing prompt
        return null;
    }

    private static ParsedRow Standard(JsonElement row, string promptField, string systemField, string chosenField, string rejectedField, string schema)
    {
        if (!Str(row, promptField, out var prompt, out var err) || !Str(row, chosenField, out var chosen, out err) || !Str(row, rejectedField, out var rejected, out err))
            return err with { Schema = schema };
        var system = "";
        if (row.TryGetProperty(systemField, out var sys) && sys.ValueKind != JsonValueKind.Null)
        {
            if (sys.ValueKind != JsonValueKind.String)
                return ParsedRow.Reject(ReasonCodes.WrongType, $"'{systemField}' must be a string, not {Kind(sys)}", schema);
            system = sys.GetString()!;
        }
        // TRL's standard format is raw text and stays so. A system turn exists only in a chat template, so a row with
        // one becomes the conversation [system, user] -> assistant.
        return Finish(system.Length == 0
            ? PreferencePair.Standard(prompt, chosen, rejected)
            : new PreferencePair([new("system", system), new("user", prompt)], [new("assistant", chosen)], [new("assistant", rejected)]), schema);
    }

    private static ParsedRow Conversational(JsonElement row)
    {
        const string s = SchemaNames.Conversational;
        if (!Messages(row, "prompt", out var prompt, out var err) || !Messages(row, "chosen", out var chosen, out err) || !Messages(row, "rejected", out var rejected, out err))
            return err with { Schema = s };
        return Finish(new PreferencePair(prompt, chosen, rejected), s);
    }

    private static ParsedRow Implicit(JsonElement row)
    {
        const string s = SchemaNames.ImplicitPrompt;
        // The prompt is the longest common prefix of the two (TRL's extract_prompt): of characters for strings, kept as
        // raw text; of messages for conversations.
        if (row.TryGetProperty("chosen", out var c) && c.ValueKind == JsonValueKind.String)
        {
            if (!Str(row, "chosen", out var chosenText, out var e) || !Str(row, "rejected", out var rejectedText, out e))
                return e with { Schema = s };
            return ImplicitPrompt.Extract(chosenText, rejectedText) is { } t
                ? Finish(PreferencePair.Standard(t.Prompt, t.Chosen, t.Rejected), s)
                : ParsedRow.Reject(ReasonCodes.EmptyField, "chosen and rejected share no prompt text", s);
        }
        if (!Messages(row, "chosen", out var chosen, out var err) || !Messages(row, "rejected", out var rejected, out err))
            return err with { Schema = s };
        return ImplicitPrompt.Extract(chosen, rejected) is { } m
            ? Finish(new PreferencePair(m.Prompt, m.Chosen, m.Rejected), s)
            : ParsedRow.Reject(ReasonCodes.InvalidRoleOrder, "chosen and rejected share no prompt messages", s);
    }

    private static ParsedRow OpenAi(JsonElement row)
    {
        const string s = SchemaNames.OpenAi;
        if (!row.TryGetProperty("input", out var input)) return ParsedRow.Reject(ReasonCodes.MissingField, "missing field 'input'", s);
        if (input.ValueKind != JsonValueKind.Object) return ParsedRow.Reject(ReasonCodes.WrongType, $"'input' must be an object, not {Kind(input)}", s);
        if (!Messages(input, "messages", out var prompt, out var err, "input.messages") ||
            !Messages(row, "preferred_output", out var chosen, out err) ||
            !Messages(row, "non_preferred_output", out var rejected, out err))
            return err with { Schema = s };
        return Finish(new PreferencePair(prompt, chosen, rejected), s);
    }

    private static bool Str(JsonElement row, string field, out string value, out ParsedRow error)
    {
        value = "";
        error = default;
        if (!row.TryGetProperty(field, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            error = ParsedRow.Reject(ReasonCodes.MissingField, $"missing field '{field}'");
            return false;
        }
        if (e.ValueKind != JsonValueKind.String)
        {
            error = ParsedRow.Reject(ReasonCodes.WrongType, $"'{field}' must be a string, not {Kind(e)}");
            return false;
        }
        value = e.GetString()!;
        return true;
    }

    private static bool Messages(JsonElement row, string field, out List<ChatMessage> messages, out ParsedRow error, string? label = null)
    {
        label ??= field;
        messages = [];
        error = default;
        if (!row.TryGetProperty(field, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            error = ParsedRow.Reject(ReasonCodes.MissingField, $"missing field '{label}'");
            return false;
        }
        if (e.ValueKind != JsonValueKind.Array)
        {
            error = ParsedRow.Reject(ReasonCodes.WrongType, $"'{label}' must be a list of messages, not {Kind(e)}");
            return false;
        }
        var i = 0;
        foreach (var m in e.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object)
            {
                error = ParsedRow.Reject(ReasonCodes.WrongType, $"'{label}[{i}]' must be a message object, not {Kind(m)}");
                return false;
            }
            if (!Str(m, "role", out var role, out error) || !Str(m, "content", out var content, out error))
            {
                error = error with { Message = $"'{label}[{i}]': {error.Message}" };
                return false;
            }
            messages.Add(new ChatMessage(role, content));
            i++;
        }
        if (messages.Count == 0)
        {
            error = ParsedRow.Reject(ReasonCodes.EmptyField, $"'{label}' has no messages");
            return false;
        }
        return true;
    }

    /// <summary>Checks shared by every schema: contents, roles, identical completions.</summary>
    private static ParsedRow Finish(PreferencePair pair, string schema)
    {
        if ((Check(pair.Prompt, "prompt") ?? Check(pair.Chosen, "chosen") ?? Check(pair.Rejected, "rejected")) is { } bad)
            return bad with { Schema = schema };
        if (PromptOrder(pair.Prompt) is { } p) return ParsedRow.Reject(ReasonCodes.InvalidRoleOrder, p, schema);
        if ((CompletionOrder(pair.Chosen, "chosen") ?? CompletionOrder(pair.Rejected, "rejected")) is { } c)
            return ParsedRow.Reject(ReasonCodes.InvalidRoleOrder, c, schema);
        if (Whitespace.SameText(pair.Chosen, pair.Rejected))
            return ParsedRow.Reject(ReasonCodes.IdenticalPair, "chosen equals rejected after whitespace normalisation", schema);
        return new ParsedRow(pair, schema, null, null);
    }

    private static ParsedRow? Check(IReadOnlyList<ChatMessage> messages, string field)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            var content = messages[i].Content;
            if (string.IsNullOrWhiteSpace(content))
                return ParsedRow.Reject(ReasonCodes.EmptyField, $"'{field}' message {i} has empty content");
            var at = content.AsSpan().IndexOfAny(ControlChars);
            if (at >= 0)
                return ParsedRow.Reject(ReasonCodes.InvalidEncoding, $"'{field}' message {i} contains control character U+{(int)content[at]:X4}");
        }
        return null;
    }

    private static string? PromptOrder(IReadOnlyList<ChatMessage> prompt)
    {
        var start = prompt[0].Role == "system" ? 1 : 0;
        if (start == prompt.Count) return "prompt has only a system message";
        for (var i = start; i < prompt.Count; i++)
        {
            var expected = (i - start) % 2 == 0 ? "user" : "assistant";
            if (prompt[i].Role != expected)
                return $"prompt message {i} has role '{prompt[i].Role}', expected '{expected}' (optional system, then user and assistant alternating)";
        }
        if (prompt[^1].Role != "user") return "prompt must end with a user message";
        return null;
    }

    private static string? CompletionOrder(IReadOnlyList<ChatMessage> completion, string field)
    {
        for (var i = 0; i < completion.Count; i++)
        {
            var expected = i % 2 == 0 ? "assistant" : "user";
            if (completion[i].Role != expected)
                return $"'{field}' message {i} has role '{completion[i].Role}', expected '{expected}'";
        }
        if (completion[^1].Role != "assistant") return $"'{field}' must end with an assistant message";
        return null;
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static string Shorten(string s) => s.Length <= 300 ? s : s[..300] + "...";
}
