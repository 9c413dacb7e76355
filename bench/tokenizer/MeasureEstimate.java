import com.llamagateway.gateway.tokens.LlamaTokenCounter;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway's own prompt estimate (LlamaTokenCounter: one chat message = its text + 10 template tokens) against
 * Llama 3's tokenizer, on the prompts measure.mjs wrote, with cl100k_base (the default) and with Llama 3's vocabulary
 * (gateway.tokenizer.vocabulary).
 *   java -cp <gateway classes and dependencies> MeasureEstimate.java prompts.txt llama3.tiktoken
 */
public class MeasureEstimate {

    private static final int TEMPLATE = 5 + 5;

    public static void main(String[] args) throws Exception {
        Map<String, List<String[]>> byLanguage = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            String[] parts = line.split(" ");
            byLanguage.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(parts);
        }
        Map<String, LlamaTokenCounter> counters = new LinkedHashMap<>();
        counters.put("cl100k_base (default)", new LlamaTokenCounter());
        counters.put("Llama 3 vocabulary", LlamaTokenCounter.fromVocabulary(Path.of(args[1])));
        System.out.println("| vocabulary | language | prompts | estimated / actual tokens | total error | per prompt: median, max |error| |");
        System.out.println("|---|---|---|---|---|---|");
        for (var counter : counters.entrySet()) {
            for (var language : byLanguage.entrySet()) {
                long estimated = 0;
                long actual = 0;
                List<Double> errors = new ArrayList<>();
                for (String[] record : language.getValue()) {
                    String prompt = new String(Base64.getDecoder().decode(record[2]), StandardCharsets.UTF_8);
                    long e = counter.getValue().count(prompt) + TEMPLATE;
                    long a = Long.parseLong(record[1]);
                    estimated += e;
                    actual += a;
                    errors.add((double) (e - a) / a);
                }
                errors.sort(Double::compare);
                List<Double> absolute = errors.stream().map(Math::abs).sorted().toList();
                System.out.printf("| %s | %s | %d | %,d / %,d | %+.2f %% | %+.2f %%, %.2f %% |%n", counter.getKey(), language.getKey(),
                        language.getValue().size(), estimated, actual, 100.0 * (estimated - actual) / actual,
                        100 * errors.get(errors.size() / 2), 100 * absolute.get(absolute.size() - 1));
            }
        }
    }
}
