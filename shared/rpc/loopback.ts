import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");
loopback.addSubnet("::ffff:127.0.0.0", 104, "ipv6");

/**
 * True when every address `host` stands for is a loopback address, so nobody
 * else can reach a server listening there. Wildcards (0.0.0.0, ::) and names
 * that resolve to any other address are not loopback.
 */
export async function isLoopbackHost(host: string): Promise<boolean> {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  if (isIP(bare)) return isLoopbackAddress(bare);
  try {
    const addresses = await lookup(bare, { all: true });
    return addresses.length > 0 && addresses.every((a) => isLoopbackAddress(a.address));
  } catch {
    return false;
  }
}

function isLoopbackAddress(address: string): boolean {
  const family = isIP(address) === 6 ? "ipv6" : "ipv4";
  return loopback.check(address, family);
}
