/**
 * CPU time of a process from /proc/<pid>/stat (user + system): the cost of an op in CPU
 * milliseconds holds up on a busy machine where its latency does not.
 */
import { readFileSync } from 'node:fs'

/** Linux reports utime/stime in clock ticks of USER_HZ, which is 100 on every mainstream kernel. */
const TICKS_PER_SECOND = 100

/** CPU ms used so far by `pid` (its own threads, not its children); NaN if unreadable. */
export function cpuMsOf (pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 1000 / TICKS_PER_SECOND
  } catch {
    return NaN
  }
}

/** CPU ms of this process (user + system). */
export function ownCpuMs (): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}
