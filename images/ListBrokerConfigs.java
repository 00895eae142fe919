// Prints every broker config name Kafka's own config definitions know, one a line, sorted: the
// static broker configs (internal ones included) and the dynamic-only broker configs (replication
// throttles). images/build.sh runs it at build time, in the version's base image with that
// version's jars, and stores the list in the node image's io.kafkaesque.broker-config-keys label.
//
// Reflection only, so one source file serves Kafka 2.8 to 4.x, whose classes moved:
//   static:  kafka.server.KafkaConfig$.MODULE$.configDef()  (2.8 to 4.x, Scala object)
//            org.apache.kafka.server.config.AbstractKafkaConfig.CONFIG_DEF  (3.8+, if the above is gone)
//   dynamic: kafka.server.DynamicConfig$Broker$.MODULE$.names()  (2.8 to 3.9)
//            org.apache.kafka.server.config.DynamicConfig$Broker.names()  (4.x)
// A version where none of a pair is found fails: a silent short list would let the harness
// refuse known keys. With a file argument the list goes there, not to stdout, where a library's
// own chatter (log4j2's status logger) could mix with it.
public class ListBrokerConfigs {
  public static void main(String[] args) throws Exception {
    java.util.TreeSet<String> names = new java.util.TreeSet<>();
    Object configDef = firstOf(
        () -> module("kafka.server.KafkaConfig$").getClass().getMethod("configDef").invoke(module("kafka.server.KafkaConfig$")),
        () -> Class.forName("org.apache.kafka.server.config.AbstractKafkaConfig").getField("CONFIG_DEF").get(null));
    java.util.Map<?, ?> keys = (java.util.Map<?, ?>) configDef.getClass().getMethod("configKeys").invoke(configDef);
    for (Object k : keys.keySet()) names.add(k.toString());
    Object dynamic = firstOf(
        () -> module("kafka.server.DynamicConfig$Broker$").getClass().getMethod("names").invoke(module("kafka.server.DynamicConfig$Broker$")),
        () -> Class.forName("org.apache.kafka.server.config.DynamicConfig$Broker").getMethod("names").invoke(null));
    for (Object k : (java.util.Set<?>) dynamic) names.add(k.toString());
    String list = String.join("\n", names) + "\n";
    if (args.length > 0) {
      java.nio.file.Files.write(java.nio.file.Paths.get(args[0]), list.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } else {
      System.out.print(list);
    }
  }

  interface Lookup { Object get() throws Exception; }

  static Object module(String className) throws Exception {
    return Class.forName(className).getField("MODULE$").get(null);
  }

  static Object firstOf(Lookup... lookups) throws Exception {
    Exception last = null;
    for (Lookup l : lookups) {
      try {
        Object v = l.get();
        if (v != null) return v;
      } catch (ReflectiveOperationException e) {
        last = e;
      }
    }
    throw new IllegalStateException("ListBrokerConfigs: no known config class in these jars", last);
  }
}
