import io.netty.buffer.Unpooled;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import java.nio.charset.StandardCharsets;

/**
 * The transport's floor: Reactor Netty alone (the gateway's version, its default event loops), answering a GET with a
 * fixed JSON body and a POST by reading its whole body and answering a fixed JSON body — what any request costs
 * before Spring, security, routing, the pipeline and the deployment's call. bench/floor.sh loads it as routes.sh
 * loads the gateway.
 *   java -cp <the gateway jar's BOOT-INF/lib/*> bench/NettyFloor.java <port>
 */
public class NettyFloor {
    public static void main(String[] args) {
        byte[] models = ("{\"object\":\"list\",\"data\":[{\"id\":\"Meta-Llama-3.1-70B-Instruct\",\"object\":\"model\",\"created\":1700000000,"
                + "\"owned_by\":\"meta\"},{\"id\":\"Meta-Llama-3.1-8B-Instruct\",\"object\":\"model\",\"created\":1700000000,\"owned_by\":\"meta\"}]}")
                .getBytes(StandardCharsets.UTF_8);
        byte[] completion = ("{\"id\":\"chatcmpl-0123456789\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"Meta-Llama-3.1-70B-Instruct\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + "word ".repeat(64).trim() + "\"},"
                + "\"finish_reason\":\"length\",\"logprobs\":null}],\"usage\":{\"prompt_tokens\":760,\"completion_tokens\":64,\"total_tokens\":824}}")
                .getBytes(StandardCharsets.UTF_8);
        DisposableServer server = HttpServer.create().port(Integer.parseInt(args[0]))
                .route(routes -> routes
                        .get("/v1/models", (request, response) -> response.header("content-type", "application/json")
                                .header("content-length", String.valueOf(models.length)).send(Mono.just(Unpooled.wrappedBuffer(models))))
                        .post("/v1/chat/completions", (request, response) -> request.receive().aggregate().then(
                                response.header("content-type", "application/json").header("content-length", String.valueOf(completion.length))
                                        .send(Mono.just(Unpooled.wrappedBuffer(completion))).then())))
                .bindNow();
        System.out.println("listening on " + server.port());
        server.onDispose().block();
    }
}
