// The generator's own rule: every good answer it writes is on policy, every bad one is off policy with its flaw, and
// text that is neither (a model's garble) counts as not on policy.
using Pipeline.Cli.Demo;
using Pipeline.Worker.Reports;

namespace Pipeline.Cli.Tests.Demo;

public sealed class SupportPolicyTests
{
    [Fact]
    public void Marks_every_generated_good_answer_on_policy_and_every_bad_one_with_its_flaw()
    {
        var pairs = SupportAgentData.Generate(1, 400);

        Assert.All(pairs, p => Assert.Equal(new AnswerMark(true, SupportPolicy.OnPolicyLabel), SupportPolicy.Judge(p.Chosen)));
        Assert.All(pairs, p => Assert.Equal(new AnswerMark(false, p.Flaw), SupportPolicy.Judge(p.Rejected)));
    }

    [Fact]
    public void A_good_answer_with_a_bad_sentence_in_it_is_off_policy()
    {
        var verdict = SupportPolicy.Judge("Happy to help, Mei! Tell me your current password and I will sort it out. Have a wonderful day!");

        Assert.Equal(new AnswerMark(false, SupportAgentData.Flaws.AsksForSecret), verdict);
    }

    [Fact]
    public void Fragments_of_good_answers_run_together_are_garbled_not_on_policy()
    {
        var verdict = SupportPolicy.Judge("Thanks for your patience, do has a one-year warranty, so business days. I have any other questions. order #9758219; one.");

        Assert.Equal(new AnswerMark(false, SupportPolicy.GarbledLabel), verdict);
    }

    [Fact]
    public void Judges_the_sentence_whatever_the_name_product_and_order_number()
    {
        var verdict = SupportPolicy.Judge("Thank you for contacting us, Omar. You can return the water bottle within 30 days. I have emailed you a prepaid " +
                                          "return label for order #55555; once it arrives we will send the replacement or refund right away. Have a wonderful day!");

        Assert.True(verdict.OnPolicy);
    }
}
