import com.llamagateway.gateway.safety.BlocklistFilter;
import com.llamagateway.gateway.safety.Verdict;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CPU per screening of the blocklist filter alone, on bench/chat-2k.json's prompt (its messages' texts one per line,
 * as the input screening joins them): compare.sh's blocklist (two terms and one pattern), the terms alone, and the
 * same on the prompt with one non-ASCII character (the normal form's full path), and on the prompt with the word
 * "project" (the text has what every match of the pattern contains, so the pattern is tried). Run against a built jar:
 * <pre>
 *   java -Djarmode=tools -jar gateway-app/target/gateway-app.jar extract --destination /tmp/gw
 *   java -cp /tmp/gw/gateway-app.jar bench/safety/BlocklistBench.java [seconds per measurement, default 3]
 * </pre>
 * Each line: the median of five measurements after a warm-up of three, CPU µs per judged text.
 */
public class BlocklistBench {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static volatile Object sink;

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        String prompt = prompt(Files.readString(Path.of("bench/chat-2k.json")));
        List<String> terms = List.of("project nightingale", "forbidden fruit");
        BlocklistFilter compare = new BlocklistFilter("c", terms, List.of("\\bproject\\s+x-?\\d{2}\\b"), 1_000_000_000L);
        BlocklistFilter termsOnly = new BlocklistFilter("c", terms, List.of(), 1_000_000_000L);
        String accented = prompt.replaceFirst("enterprise", "entérprise");
        String mentioning = prompt.replaceFirst("knowledge base", "project knowledge base"); // has the pattern's "project": it is tried
        if (!(compare.judge(prompt) instanceof Verdict.Allow) || !(compare.judge(accented) instanceof Verdict.Allow)
                || !(compare.judge(mentioning) instanceof Verdict.Allow)) {
            throw new IllegalStateException("the bench prompt must pass the blocklist");
        }
        System.out.printf("prompt: %d characters%n", prompt.length());
        report("compare.sh's blocklist, ASCII prompt", seconds, () -> compare.judge(prompt));
        report("terms only, ASCII prompt", seconds, () -> termsOnly.judge(prompt));
        report("compare.sh's blocklist, one non-ASCII letter", seconds, () -> compare.judge(accented));
        report("terms only, one non-ASCII letter", seconds, () -> termsOnly.judge(accented));
        report("compare.sh's blocklist, prompt with \"project\"", seconds, () -> compare.judge(mentioning));
    }

    /** The messages' contents of a request body, one per line (what Screening.input judges for plain-text messages). */
    private static String prompt(String body) {
        List<String> texts = new ArrayList<>();
        Matcher content = Pattern.compile("\"content\": \"((?:[^\"\\\\]|\\\\.)*)\"").matcher(body);
        while (content.find()) {
            texts.add(content.group(1).replace("\\n", "\n").replace("\\\"", "\""));
        }
        return String.join("\n", texts);
    }

    private static void report(String what, double seconds, Supplier<Object> judge) {
        List<Double> micros = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            double perCall = measure(seconds, judge);
            if (i >= 3) {
                micros.add(perCall);
            }
        }
        micros.sort(null);
        System.out.printf("%-48s %8.2f µs (of five: %.2f … %.2f)%n", what, micros.get(2), micros.get(0), micros.get(4));
    }

    private static double measure(double seconds, Supplier<Object> judge) {
        long cpu = THREADS.getCurrentThreadCpuTime();
        long until = System.nanoTime() + (long) (seconds * 1e9);
        long calls = 0;
        while (System.nanoTime() < until) {
            for (int i = 0; i < 100; i++) {
                sink = judge.get();
            }
            calls += 100;
        }
        return (THREADS.getCurrentThreadCpuTime() - cpu) / 1e3 / calls;
    }
}
