import { asSystem, inLockedTransaction, type Db, type UserRole } from '@yunzhen/db';

import { hashPassword } from './auth/passwords.js';

/** The password of every demo account. Demo mode only: outside it no default password exists. */
export const DEMO_PASSWORD = 'yunzhen-demo';

export const demoUnion = {
  name: 'Shanghai Demo Medical Union',
  tenants: [
    {
      name: 'Shanghai Cancer Center (demo)',
      kind: 'reading',
      users: [
        { email: 'specialist@scc.demo', displayName: 'Dr. Chen Wei (specialist)', role: 'specialist', licensed: true },
        // A second reader, so an overdue consult has somewhere to go when escalation reassigns it.
        { email: 'lin@scc.demo', displayName: 'Dr. Lin Hui (specialist)', role: 'specialist', licensed: true },
        // Chairs the centre's tumour boards (any licensed specialist may); a second specialist to sit with the first.
        { email: 'chair@scc.demo', displayName: 'Prof. Zhou Hua (tumour board chair)', role: 'specialist', licensed: true },
        { email: 'admin@scc.demo', displayName: 'SCC Administrator', role: 'admin', licensed: false },
      ],
    },
    {
      name: 'Xuhui District Hospital (demo)',
      kind: 'sending',
      users: [
        { email: 'rad@xuhui.demo', displayName: 'Li Na (radiographer)', role: 'radiographer', licensed: true },
        { email: 'doctor@xuhui.demo', displayName: 'Dr. Wang Fang (referring)', role: 'referring_doctor', licensed: true },
        { email: 'admin@xuhui.demo', displayName: 'Xuhui Administrator', role: 'admin', licensed: false },
      ],
    },
    {
      // An international department: its coordinator sends foreign patients' records before they arrive.
      name: 'Shanghai International Medical Center (demo)',
      kind: 'sending',
      users: [{ email: 'coordinator@intl.demo', displayName: 'Emma Liu (international coordinator)', role: 'coordinator', licensed: true }],
    },
    {
      name: 'Minhang District Hospital (demo)',
      kind: 'sending',
      users: [
        { email: 'rad@minhang.demo', displayName: 'Zhao Lei (radiographer)', role: 'radiographer', licensed: true },
        { email: 'doctor@minhang.demo', displayName: 'Dr. Sun Mei (referring)', role: 'referring_doctor', licensed: true },
      ],
    },
  ],
} as const satisfies {
  name: string;
  tenants: readonly {
    name: string;
    kind: 'reading' | 'sending' | 'both';
    users: readonly { email: string; displayName: string; role: UserRole; licensed: boolean }[];
  }[];
};

/**
 * A foreign partner centre outside the union, to which the cancer centre may refer consults
 * (a `partner` relationship, configuration seeded here like any deployment's would be).
 */
export const demoPartner = {
  union: 'Demo International Partners',
  tenant: { name: 'Pacific Partner Hospital (demo)', kind: 'reading' },
  users: [{ email: 'reader@partner.demo', displayName: 'Dr. Sarah Miller (partner specialist)', role: 'specialist', licensed: true }],
  /** The union's centre that may refer to it, and the demo's deployment administrator (who keeps such relationships). */
  referredFrom: 'Shanghai Cancer Center (demo)',
  deploymentAdmin: 'admin@scc.demo',
} as const;

export const demoLogins = [
  ...demoUnion.tenants.flatMap((t) => t.users.map((u) => ({ email: u.email, role: u.role, hospital: t.name }))),
  ...demoPartner.users.map((u) => ({ email: u.email, role: u.role, hospital: demoPartner.tenant.name })),
];

/** Creates the demo union unless it exists. Returns whether anything was created. */
export async function seedDemoUnion(db: Db['kysely']): Promise<boolean> {
  // One hash for the one shared demo password: argon2id is slow on purpose, and every test app seeds.
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  // One transaction under an advisory lock: replicas starting together queue here, and the
  // first creates the union while the others find it (and a crash mid-seed leaves nothing).
  return asSystem('demo-seed', () => inLockedTransaction(db, 'yunzhen:demo-seed', async (repos) => {
    let created = false;
    if (!(await repos.tenants.findByName(demoUnion.tenants[0].name))) {
      const unionId = await repos.tenants.createUnion(demoUnion.name);
      for (const spec of demoUnion.tenants) {
        const tenant = await repos.tenants.create({ name: spec.name, kind: spec.kind, unionId });
        for (const user of spec.users) await repos.users.create({ tenantId: tenant.id, ...user, passwordHash });
      }
      created = true;
    }
    if (!(await repos.tenants.findByName(demoPartner.tenant.name))) {
      const partner = await repos.tenants.create({ ...demoPartner.tenant, unionId: await repos.tenants.createUnion(demoPartner.union) });
      for (const user of demoPartner.users) await repos.users.create({ tenantId: partner.id, ...user, passwordHash });
      const referrer = await repos.tenants.findByName(demoPartner.referredFrom);
      const admin = await repos.users.findByEmail(demoPartner.deploymentAdmin);
      if (admin) await repos.users.setDeploymentAdmin(admin.id, true);
      if (referrer) await repos.referrals.relationships.create({ fromTenantId: referrer.id, toTenantId: partner.id, kind: 'partner', createdBy: admin?.id ?? null });
      created = true;
    }
    return created;
  }));
}
