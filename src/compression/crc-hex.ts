/** A CRC (CRC-32 or CRC-32C) as manifests and messages write it: 8 lowercase hex digits. */
export function crcHex(crc: number): string {
  return (crc >>> 0).toString(16).padStart(8, '0');
}
