// The TRL trajectory's data as conversations (a user prompt, assistant answers) on the tiny-llama fixture given a Llama 3
// chat template: the ids training uses are what TRL builds from Hugging Face's own Jinja (@huggingface/jinja) and
// `tokenizers` (maybe_apply_chat_template: the prompt rendered with the generation prompt, each completion the rest of
// the rendered conversation; then the prompt + completion ids, BOS only when the template has not put one, EOS added).
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;
using Pipeline.Testing.Tokenization;
using Pipeline.Training.Data;

namespace Pipeline.Training.Tests.Data;

public sealed class ConversationalCopyTests
{
    [Fact]
    public void A_conversational_copy_of_the_trajectory_data_tokenizes_as_trl_with_hugging_face_jinja_and_tokenizers()
    {
        using var dir = new TempDir();
        foreach (var file in Directory.GetFiles(RepoPaths.TinyLlama))
            File.Copy(file, dir.File(Path.GetFileName(file)));
        var template = JsonNode.Parse(File.ReadAllText(Path.Combine(NodeReference.LenmlModels("tokenizer-llama3"), "tokenizer_config.json")))!["chat_template"]!.GetValue<string>();
        var config = JsonNode.Parse(File.ReadAllText(dir.File("tokenizer_config.json")))!.AsObject();
        config["chat_template"] = template;
        File.WriteAllText(dir.File("tokenizer_config.json"), config.ToJsonString());

        var raw = File.ReadAllLines(Path.Combine(RepoPaths.TinyLlama, "data.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        static JsonArray Turn(string role, string content) => [new JsonObject { ["role"] = role, ["content"] = content }];
        var conversations = raw.Select(r => new JsonObject
        {
            ["prompt"] = Turn("user", r["prompt"]!.GetValue<string>()),
            ["chosen"] = Turn("assistant", r["chosen"]!.GetValue<string>().Trim()),
            ["rejected"] = Turn("assistant", r["rejected"]!.GetValue<string>().Trim()),
        }).ToList();
        File.WriteAllLines(dir.File("conversations.jsonl"), conversations.Select(c => c.ToJsonString()));

        var tokenizer = HfTokenizer.Load(dir.Path);
        var data = TokenizedData.From(PreferenceData.Load(dir.File("conversations.jsonl"), PreferenceData.ChatFor(tokenizer)), tokenizer, 1024, OverlongPolicy.Drop);
        Assert.Equal(raw.Count, data.Pairs.Count);

        // Hugging Face's rendering, case by case: the prompt with the generation prompt, then prompt + each answer.
        object Case(JsonNode messages, bool generation) => new
        {
            template, messages = JsonSerializer.Deserialize<JsonElement>(messages.ToJsonString()), add_generation_prompt = generation,
            bos_token = tokenizer.BosToken, eos_token = tokenizer.EosToken,
        };
        JsonArray Join(JsonNode a, JsonNode b) => [.. a.AsArray().Select(m => m!.DeepClone()), .. b.AsArray().Select(m => m!.DeepClone())];
        var renders = NodeReference.Render([.. conversations.SelectMany(c => new[]
        {
            Case(c["prompt"]!, true), Case(Join(c["prompt"]!, c["chosen"]!), false), Case(Join(c["prompt"]!, c["rejected"]!), false),
        })]);
        Assert.All(renders, r => Assert.Null(r.Error));
        var texts = new List<string>();
        for (var i = 0; i < conversations.Count; i++)
        {
            var prompt = renders[3 * i].Text!;
            Assert.StartsWith(prompt, renders[3 * i + 1].Text!, StringComparison.Ordinal);
            texts.AddRange([prompt, renders[3 * i + 1].Text!, renders[3 * i + 2].Text!]);
        }
        var reference = NodeReference.Encode(dir.File("tokenizer.json"), texts);

        for (var i = 0; i < conversations.Count; i++)
        {
            var (prompt, chosen, rejected) = (reference.Ids[3 * i], reference.Ids[3 * i + 1], reference.Ids[3 * i + 2]);
            var pair = data.Pairs[i];
            Assert.Equal(tokenizer.BosTokenId, prompt[0]); // the template put BOS: none is added
            Assert.Equal([.. chosen, tokenizer.EosTokenId!.Value], pair.ChosenIds);
            Assert.Equal([.. rejected, tokenizer.EosTokenId!.Value], pair.RejectedIds);
            Assert.Equal(prompt.Length, pair.ChosenPromptLength);
            Assert.Equal(prompt.Length, pair.RejectedPromptLength);
        }
    }
}
