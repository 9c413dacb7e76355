import com.sun.tools.attach.VirtualMachine;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.lang.management.ManagementFactory;

/**
 * The heap bytes a running JVM has allocated since it started, all threads together (HotSpot's
 * {@code ThreadMXBean.getTotalThreadAllocatedBytes}, over the JVM's local management agent): a measure of a change
 * that the machine's speed does not move, unlike CPU time.
 *   java bench/AllocProbe.java <pid>       prints the bytes
 */
public class AllocProbe {

    public static void main(String[] args) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(args[0]);
        String address;
        try {
            address = vm.startLocalManagementAgent();
        } finally {
            vm.detach();
        }
        try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
            MBeanServerConnection server = connector.getMBeanServerConnection();
            Object bytes = server.getAttribute(new ObjectName(ManagementFactory.THREAD_MXBEAN_NAME), "TotalThreadAllocatedBytes");
            System.out.println(bytes);
        }
    }
}
