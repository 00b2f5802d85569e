// Sample prompts of the report: conversational held-out rows rendered by the model's chat template and tokenized as
// training tokenizes them (special tokens as their ids), then completed by the model before and after training.
using Pipeline.Cli.Commands;
using Pipeline.Shared.Orpo;
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;
using Pipeline.Worker;

namespace Pipeline.Worker.Tests;

public sealed class SamplePromptsTests : IDisposable
{
    private readonly TempDir _dir = new("sample-prompts-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Conversational_eval_prompts_are_rendered_with_the_chat_template_tokenized_as_in_training_and_completed()
    {
        var model = _dir.File("model");
        ModelInit.Write(new InitModelOptions("tiny", model, 3));
        var eval = _dir.File("eval.jsonl");
        await File.WriteAllLinesAsync(eval,
        [
            """{"prompt":[{"role":"user","content":"Where is my parcel?"}],"chosen":[{"role":"assistant","content":"On its way."}],"rejected":[{"role":"assistant","content":"No idea."}]}""",
            "",
            """{"prompt":[{"role":"user","content":"Can I get a refund?"}],"chosen":[{"role":"assistant","content":"Yes, within 30 days."}],"rejected":[{"role":"assistant","content":"No."}]}""",
            """{"prompt":[{"role":"user","content":"Third?"}],"chosen":[{"role":"assistant","content":"Yes."}],"rejected":[{"role":"assistant","content":"No."}]}""",
        ]);
        var config = new OrpoConfig { MaxLength = 128 };

        var prompts = OrpoRunEngine.SamplePrompts(model, eval, config, count: 2);

        Assert.Equal([1, 3], prompts.Select(p => p.Line));
        var tokenizer = HfTokenizer.Load(model);
        var training = TokenizedData.From(PreferenceData.Load(eval, PreferenceData.ChatFor(tokenizer)), tokenizer, config.MaxLength, config.Overlong);
        var imStart = tokenizer.IdOf("<|im_start|>")!.Value;
        for (var i = 0; i < prompts.Count; i++)
        {
            Assert.StartsWith("<|im_start|>", prompts[i].Text, StringComparison.Ordinal);
            Assert.EndsWith("<|im_start|>assistant\n", prompts[i].Text, StringComparison.Ordinal);
            // The same ids training puts before the completion: the chat markers are single special tokens.
            Assert.Equal(training.Pairs[i].ChosenIds[..training.Pairs[i].ChosenPromptLength], prompts[i].Ids);
            Assert.Equal(2, prompts[i].Ids.Count(id => id == imStart));
        }
        Assert.Empty(OrpoRunEngine.SamplePrompts(model, eval, config, count: 0));

        var completions = await new OrpoRunEngine("cpu").CompleteAsync(model, prompts, maxNewTokens: 4, CancellationToken.None);

        Assert.Equal(2, completions.Count);
        Assert.All(completions, c => Assert.False(string.IsNullOrEmpty(c)));
    }
}
