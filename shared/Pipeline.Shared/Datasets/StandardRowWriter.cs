// The fast path for the common row, a valid TRL standard pair: read with Utf8JsonReader straight from the UTF-8 bytes
// (no DOM, no strings) and written normalised (raw text stays raw text; a system field makes it a conversation). Anything unusual returns false and RowParser's DOM path decides.
using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Shared.Datasets;

/// <summary>An accepted standard row: the byte length of its `{"prompt":[...]` prefix and its lengths.</summary>
internal readonly record struct StandardRow(int PromptBytes, int Chars, int Tokens);

internal static class StandardRowWriter
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = RowParser.MaxJsonDepth };

    /// <summary>C0 controls but tab, LF and CR (only reachable through escapes), DEL, and 0xC2, the lead byte of the
    /// C1 controls U+0080..U+009F (and of harmless U+00A0..U+00BF, told apart by the next byte).</summary>
    private static readonly SearchValues<byte> ControlBytes = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 0x0B, 0x0C, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
         0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x7F, 0xC2]);

    private const int Prompt = 0, System = 1, Chosen = 2, Rejected = 3, Other = -1, NotStandard = -2;

    /// <summary>Writes the normalised line of <paramref name="json"/> (a row that passed
    /// <see cref="RowParser.CheckBytes"/>) through <paramref name="w"/> into <paramref name="output"/> when the DOM
    /// path would accept it as a standard row with exactly these bytes; otherwise writes nothing and returns false.</summary>
    public static bool TryWrite(ReadOnlySpan<byte> json, Utf8JsonWriter w, PooledBuffer output, ITextTokenizer? tokenizer, out StandardRow row)
    {
        row = default;
        byte[]? scratch = null;   // unescaped copies of escaped values; never longer than the row
        try
        {
            ReadOnlySpan<byte> prompt = default, system = default, chosen = default, rejected = default;
            var seen = 0;
            var reader = new Utf8JsonReader(json, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            var used = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = Field(ref reader);
                if (field == NotStandard || !reader.Read()) return false;
                if (field == Other)
                {
                    reader.Skip();
                    continue;
                }
                if ((seen & (1 << field)) != 0) return false; // a repeated field: let the DOM path decide which wins
                seen |= 1 << field;
                if (field == System && reader.TokenType == JsonTokenType.Null) continue;
                if (reader.TokenType != JsonTokenType.String) return false;
                ReadOnlySpan<byte> value;
                if (!reader.ValueIsEscaped)
                {
                    value = reader.ValueSpan;
                }
                else
                {
                    scratch ??= ArrayPool<byte>.Shared.Rent(json.Length);
                    var n = reader.CopyString(scratch.AsSpan(used));
                    value = scratch.AsSpan(used, n);
                    used += n;
                    if (!Utf8.IsValid(value)) return false;
                }
                switch (field)
                {
                    case Prompt: prompt = value; break;
                    case System: system = value; break;
                    case Chosen: chosen = value; break;
                    default: rejected = value; break;
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read()) return false;
            if ((seen & 0b1101) != 0b1101) return false;
            if (!Utf8Whitespace.SurelyHasText(prompt) || !Utf8Whitespace.SurelyHasText(chosen) || !Utf8Whitespace.SurelyHasText(rejected)) return false;
            if (!system.IsEmpty && !Utf8Whitespace.SurelyHasText(system)) return false;
            // Raw C0 bytes were refused by RowParser.CheckBytes; without DEL or 0xC2 anywhere in the row only the
            // unescaped copies (scratch) can still hold a control character.
            if ((scratch is not null || json.IndexOfAny((byte)0x7F, (byte)0xC2) >= 0) &&
                (HasControl(prompt) || HasControl(system) || HasControl(chosen) || HasControl(rejected))) return false;
            if (Utf8Whitespace.Same(chosen, rejected)) return false;

            var promptBytes = NeedsEscaping(system) || NeedsEscaping(prompt) || NeedsEscaping(chosen) || NeedsEscaping(rejected)
                ? WriteEscaped(w, output, system, prompt, chosen, rejected)
                : WriteVerbatim(output, system, prompt, chosen, rejected);

            var chars = Chars(system) + Chars(prompt) + Math.Max(Chars(chosen), Chars(rejected));
            var tokens = tokenizer is null ? 0
                : Tokens(tokenizer, system) + Tokens(tokenizer, prompt) + Math.Max(Tokens(tokenizer, chosen), Tokens(tokenizer, rejected));
            row = new StandardRow(promptBytes, chars, tokens);
            return true;
        }
        catch (JsonException)
        {
            return false; // malformed: the DOM path reports it with its own message
        }
        catch (InvalidOperationException)
        {
            return false; // an escape that is not valid UTF-16 (\ud800): the DOM path reports invalid_encoding
        }
        finally
        {
            if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Whether Utf8JsonWriter (with PreferencePair's encoder) would escape anything in the value.</summary>
    private static bool NeedsEscaping(ReadOnlySpan<byte> value) => Encoder.FindFirstCharacterToEncodeUtf8(value) >= 0;

    private static readonly JavaScriptEncoder Encoder = PreferencePair.WriterOptions.Encoder!;

    /// <summary>The line as Utf8JsonWriter writes it when no value needs escaping: the values verbatim between fixed
    /// JSON. Returns the length of the `{"prompt":...` prefix.</summary>
    private static int WriteVerbatim(PooledBuffer output, ReadOnlySpan<byte> system, ReadOnlySpan<byte> prompt, ReadOnlySpan<byte> chosen, ReadOnlySpan<byte> rejected)
    {
        if (system.IsEmpty)
        {
            // Raw text stays raw text: TRL's standard format.
            var at = output.WrittenCount;
            output.Write("{\"prompt\":\""u8);
            output.Write(prompt);
            output.Write("\""u8);
            var length = output.WrittenCount - at;
            output.Write(",\"chosen\":\""u8);
            output.Write(chosen);
            output.Write("\",\"rejected\":\""u8);
            output.Write(rejected);
            output.Write("\"}"u8);
            return length;
        }
        ReadOnlySpan<byte> open = "{\"prompt\":["u8, systemRole = "{\"role\":\"system\",\"content\":\""u8, userRole = "{\"role\":\"user\",\"content\":\""u8,
            close = "\"}"u8, chosenOpen = ",\"chosen\":[{\"role\":\"assistant\",\"content\":\""u8,
            rejectedOpen = ",\"rejected\":[{\"role\":\"assistant\",\"content\":\""u8;
        var start = output.WrittenCount;
        output.Write(open);
        if (!system.IsEmpty)
        {
            output.Write(systemRole);
            output.Write(system);
            output.Write(close);
            output.Write(","u8);
        }
        output.Write(userRole);
        output.Write(prompt);
        output.Write("\"}]"u8);
        var promptBytes = output.WrittenCount - start;
        output.Write(chosenOpen);
        output.Write(chosen);
        output.Write("\"}]"u8);
        output.Write(rejectedOpen);
        output.Write(rejected);
        output.Write("\"}]}"u8);
        return promptBytes;
    }

    /// <summary>The general case: Utf8JsonWriter escapes. Returns the length of the `{"prompt":...` prefix.</summary>
    private static int WriteEscaped(Utf8JsonWriter w, PooledBuffer output, ReadOnlySpan<byte> system, ReadOnlySpan<byte> prompt, ReadOnlySpan<byte> chosen, ReadOnlySpan<byte> rejected)
    {
        var start = output.WrittenCount;
        w.Reset(output);
        w.WriteStartObject();
        if (system.IsEmpty)
        {
            w.WriteString("prompt"u8, prompt);
            w.Flush();
            var length = output.WrittenCount - start;
            w.WriteString("chosen"u8, chosen);
            w.WriteString("rejected"u8, rejected);
            w.WriteEndObject();
            w.Flush();
            return length;
        }
        w.WriteStartArray("prompt"u8);
        if (!system.IsEmpty) Message(w, "system"u8, system);
        Message(w, "user"u8, prompt);
        w.WriteEndArray();
        w.Flush();
        var promptBytes = output.WrittenCount - start;
        w.WriteStartArray("chosen"u8);
        Message(w, "assistant"u8, chosen);
        w.WriteEndArray();
        w.WriteStartArray("rejected"u8);
        Message(w, "assistant"u8, rejected);
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        return promptBytes;
    }

    private static int Field(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("prompt"u8)) return Prompt;
        if (reader.ValueTextEquals("chosen"u8)) return Chosen;
        if (reader.ValueTextEquals("rejected"u8)) return Rejected;
        if (reader.ValueTextEquals("system"u8)) return System;
        // RowParser reads a row holding any of these as the OpenAI schema.
        if (reader.ValueTextEquals("input"u8) || reader.ValueTextEquals("preferred_output"u8) || reader.ValueTextEquals("non_preferred_output"u8))
            return NotStandard;
        return Other;
    }

    private static bool HasControl(ReadOnlySpan<byte> s)
    {
        var at = s.IndexOfAny(ControlBytes);
        while (at >= 0)
        {
            if (s[at] != 0xC2 || (at + 1 < s.Length && s[at + 1] < 0xA0)) return true;
            var next = s[(at + 1)..].IndexOfAny(ControlBytes);
            at = next < 0 ? -1 : at + 1 + next;
        }
        return false;
    }

    private static void Message(Utf8JsonWriter w, ReadOnlySpan<byte> role, ReadOnlySpan<byte> content)
    {
        w.WriteStartObject();
        w.WriteString("role"u8, role);
        w.WriteString("content"u8, content);
        w.WriteEndObject();
    }

    /// <summary>Length in UTF-16 code units, as string.Length counts it on the DOM path.</summary>
    private static int Chars(ReadOnlySpan<byte> utf8) => utf8.IsEmpty ? 0 : Encoding.UTF8.GetCharCount(utf8);

    private static int Tokens(ITextTokenizer tokenizer, ReadOnlySpan<byte> utf8) => utf8.IsEmpty ? 0 : tokenizer.CountTokens(Encoding.UTF8.GetString(utf8));
}
