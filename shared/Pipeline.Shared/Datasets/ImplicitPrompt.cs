// The prompt shared by chosen and rejected when a row has none, as TRL's extract_prompt (data_utils.py) finds it: the
// longest common prefix, of characters for standard rows, of messages for conversations.
using Pipeline.Shared.Tokenization;

namespace Pipeline.Shared.Datasets;

public static class ImplicitPrompt
{
    /// <summary>(prompt, chosen, rejected) of two strings, or null when they share nothing. Mirrors TRL extract_prompt:
    /// a space just before the first difference goes to the completions; when one text is a prefix of the other, the
    /// split is one character before the shorter one's end (TRL's loop ends without a break).</summary>
    public static (string Prompt, string Chosen, string Rejected)? Extract(string chosen, string rejected)
    {
        var (idx, differs) = Split(chosen.Length, rejected.Length, i => chosen[i] == rejected[i]);
        if (differs && idx > 0 && chosen[idx - 1] == ' ') idx--;
        // Never split a surrogate pair (Python indexes code points, .NET UTF-16 units).
        if (idx > 0 && char.IsHighSurrogate(chosen[idx - 1])) idx--;
        return idx <= 0 ? null : (chosen[..idx], chosen[idx..], rejected[idx..]);
    }

    /// <summary>(prompt, chosen, rejected) messages of two conversations, or null when their first messages differ.</summary>
    public static (List<ChatMessage> Prompt, List<ChatMessage> Chosen, List<ChatMessage> Rejected)? Extract(
        IReadOnlyList<ChatMessage> chosen, IReadOnlyList<ChatMessage> rejected)
    {
        var (idx, _) = Split(chosen.Count, rejected.Count, i => chosen[i] == rejected[i]);
        return idx <= 0 ? null : ([.. chosen.Take(idx)], [.. chosen.Skip(idx)], [.. rejected.Skip(idx)]);
    }

    /// <summary>Index of the first difference; without one, the last index both share (Python's loop variable after a
    /// loop that never breaks); -1 when either is empty.</summary>
    private static (int Index, bool Differs) Split(int chosenLength, int rejectedLength, Func<int, bool> same)
    {
        var n = Math.Min(chosenLength, rejectedLength);
        for (var i = 0; i < n; i++)
            if (!same(i)) return (i, true);
        return (n - 1, false);
    }
}
