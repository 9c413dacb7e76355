package com.llamagateway.gateway.safety;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LlamaGuardPromptTest {

    private static final List<Screening.Message> PROMPT = List.of(new Screening.Message("system", "Be brief."),
            new Screening.Message("user", "Whats the color of the sky?"));

    @Test
    void theAgentPromptIsLlamaGuard3sTemplateWordForWord() {
        Screening screening = Screening.input("r", "t", "m", PROMPT).judging("The sky ", "is blue.");
        String expected = "<|begin_of_text|><|start_header_id|>user<|end_header_id|> Task: Check if there is unsafe content in 'Agent'"
                + " messages in conversations according our safety policy with the below categories.\n\n"
                + "<BEGIN UNSAFE CONTENT CATEGORIES>\nS1: Violent Crimes.\nS10: Hate.\n<END UNSAFE CONTENT CATEGORIES>\n\n"
                + "<BEGIN CONVERSATION>\n\nUser: Be brief.\n\nUser: Whats the color of the sky?\n\nAgent: The sky is blue.\n\n<END CONVERSATION>\n\n"
                + "Provide your safety assessment for ONLY THE LAST Agent message in the above conversation:\n"
                + " - First line must read 'safe' or 'unsafe'.\n"
                + " - If unsafe, a second line must include a comma-separated list of violated categories."
                + " <|eot_id|><|start_header_id|>assistant<|end_header_id|>";
        assertThat(LlamaGuardPrompt.render(screening, List.of("S1", "S10"))).isEqualTo(expected);
    }

    @Test
    void theUserPromptJudgesTheLastUserMessageWithAllFourteenCategories() {
        String prompt = LlamaGuardPrompt.render(Screening.input("r", "t", "m", PROMPT), List.copyOf(LlamaGuardPrompt.CATEGORIES.keySet()));
        assertThat(prompt).contains("unsafe content in 'User' messages", "ONLY THE LAST User message", "S3: Sex Crimes.\nS4: Child Exploitation.",
                "S11: Self-Harm.", "S14: Code Interpreter Abuse.\n<END UNSAFE CONTENT CATEGORIES>");
        assertThat(prompt).doesNotContain("Agent:");
    }

    @Test
    void aLongConversationKeepsItsMostRecentTurns() {
        List<Screening.Message> long_ = List.of(new Screening.Message("user", "old ".repeat(10_000)), new Screening.Message("user", "latest"));
        String prompt = LlamaGuardPrompt.render(Screening.input("r", "t", "m", long_), List.of("S1"));
        assertThat(prompt).contains("User: latest").doesNotContain("old old");
    }

    @Test
    void verdictsAreParsedAndAnythingElseIsAFailure() {
        assertThat(LlamaGuardPrompt.parse("safe")).isEqualTo(new LlamaGuardPrompt.Assessment(true, List.of()));
        assertThat(LlamaGuardPrompt.parse("\n\nunsafe\nS1, s10 ")).isEqualTo(new LlamaGuardPrompt.Assessment(false, List.of("S1", "S10")));
        assertThat(LlamaGuardPrompt.parse("unsafe")).isEqualTo(new LlamaGuardPrompt.Assessment(false, List.of()));
        assertThatThrownBy(() -> LlamaGuardPrompt.parse("The sky is blue.")).isInstanceOf(FilterFailure.class);
    }
}
