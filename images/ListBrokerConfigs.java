// Prints every broker config name Kafka's own config definitions know, one a line, sorted: the
// static broker configs (KafkaConfig, internal ones included) and the dynamic-only broker
// configs (DynamicConfig.Broker: replication throttles). Run by images/broker-config-keys.sh
// inside the node image, whose JRE runs a single source file without a JDK.
public class ListBrokerConfigs {
  public static void main(String[] args) throws Exception {
    java.util.TreeSet<String> names = new java.util.TreeSet<>(kafka.server.KafkaConfig.configDef().configKeys().keySet());
    Object dynamic = Class.forName("kafka.server.DynamicConfig$Broker$").getField("MODULE$").get(null);
    java.util.Map<?, ?> keys = (java.util.Map<?, ?>) dynamic.getClass().getMethod("configKeys").invoke(dynamic);
    for (Object k : keys.keySet()) names.add(k.toString());
    names.forEach(System.out::println);
  }
}
