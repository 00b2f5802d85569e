// Decodes a queue message body into a TrainingRequest: the JSON base64-encoded (the Functions default) or plain JSON.
using System.Text;
using Pipeline.Shared.Contracts;

namespace Pipeline.Shared.Queues;

/// <summary>The outcome of decoding one body: the request, or the reason it is not one.</summary>
public sealed record DecodedBody(TrainingRequest? Request, string? Error)
{
    public bool IsValid => Request is not null;
}

public static class RequestBody
{
    public static DecodedBody Decode(string body)
    {
        var text = body.Trim();
        if (text.Length == 0) return new DecodedBody(null, "message body is empty");
        if (!text.StartsWith('{') && TryBase64(text, out var decoded)) text = decoded.Trim();
        if (!text.StartsWith('{'))
            return new DecodedBody(null, "message body is neither a JSON object nor base64-encoded JSON");
        try
        {
            return new DecodedBody(TrainingRequest.Parse(text), null);
        }
        catch (FormatException e)
        {
            return new DecodedBody(null, e.Message);
        }
    }

    private static bool TryBase64(string text, out string decoded)
    {
        decoded = "";
        var buffer = new byte[text.Length];
        if (!Convert.TryFromBase64String(text, buffer, out var length)) return false;
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, length);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
