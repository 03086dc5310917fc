import Testing
@testable import RitzTensor

/// The usable core count from the processors online, the affinity mask and the control group's
/// CPU quota, with the files read from fixtures written as the kernel writes them.
@Suite("usable cores")
struct UsableCoresTests {
    @Test("the affinity mask and the quota narrow the count, and say so; nothing else does")
    func narrowing() {
        #expect(UsableCores.measure(online: 4, affinity: -1, quota: nil) == (4, nil))
        #expect(UsableCores.measure(online: 4, affinity: 4, quota: 8) == (4, nil))
        #expect(UsableCores.measure(online: 2, affinity: 1, quota: nil) == (1, "the affinity mask allows 1 of 2 processors"))
        #expect(UsableCores.measure(online: 8, affinity: 8, quota: 1.5) == (2, "the cgroup's CPU quota allows 1.5 processors"))
        #expect(UsableCores.measure(online: 2, affinity: 2, quota: 0.5) == (1, "the cgroup's CPU quota allows 0.5 processors"))
        #expect(UsableCores.measure(online: 0, affinity: 0, quota: nil) == (1, nil))
    }

    @Test("cpu.max and cfs quota files: a quota over a period, or no limit")
    func quotaFiles() {
        #expect(UsableCores.cpuMax("max 100000\n") == nil)
        #expect(UsableCores.cpuMax("150000 100000\n") == 1.5)
        #expect(UsableCores.cpuMax("garbage") == nil)
        #expect(UsableCores.cfsQuota(quota: "-1\n", period: "100000\n") == nil)
        #expect(UsableCores.cfsQuota(quota: "50000\n", period: "100000\n") == 0.5)
    }

    @Test("the process's groups, and the tightest quota of a group and its ancestors")
    func groups() {
        let v2 = "0::/user.slice/job.scope\n"
        #expect(UsableCores.cgroupPaths(v2).unified == "/user.slice/job.scope")
        let v1 = "12:pids:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n"
        #expect(UsableCores.cgroupPaths(v1).cpu == "/docker/abc")
        #expect(UsableCores.ancestors("/r", "/a/b") == ["/r/a/b", "/r/a", "/r"])
        #expect(UsableCores.ancestors("/r", "/") == ["/r"])
        let files = ["/sys/fs/cgroup/user.slice/job.scope/cpu.max": "max 100000",
                     "/sys/fs/cgroup/user.slice/cpu.max": "300000 100000",
                     "/sys/fs/cgroup/cpu.max": "max 100000"]
        #expect(UsableCores.cgroupQuota(selfCgroup: v2, read: { files[$0] }) == 3)
        // A v1 container whose own group is mounted at the root of the cpu hierarchy.
        let v1Files = ["/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "150000\n",
                       "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n"]
        #expect(UsableCores.cgroupQuota(selfCgroup: v1, read: { v1Files[$0] }) == 1.5)
        #expect(UsableCores.cgroupQuota(selfCgroup: nil, read: { _ in nil }) == nil)
    }
}
