import type { ArgsOf, ValueOf } from '../../api/contract';
import type { OperatorHandlers, OperatorRecord } from '../../api/operators';
import type { Writer } from '../db/writer';
import { DomainError } from '../errors';
import type { ScanRouter } from '../scan/router';
import type { Operators } from './operators';
import { checkNewPin, hashPin } from './pin';
import type { Session } from './session';

type Impl = { [M in keyof OperatorHandlers]: (args: ArgsOf<M>) => Promise<ValueOf<M>> };

export type OperatorHandlerDeps = {
  session: Session;
  operators: Operators;
  writer: Writer;
  router: () => ScanRouter;
  now: () => Date;
  /** An operator was created or changed here: screens listing them fetch again. */
  changed: () => void;
};

/** The operators part of the API: sign-in, the lock screen, and a site admin's management. */
export function operatorHandlers(deps: OperatorHandlerDeps): Impl {
  const { session, operators, writer } = deps;
  const at = () => deps.now().toISOString();

  /** A badge typed or scanned where one is expected: it must fit the site's badge pattern. */
  const checkBadge = (badge: string | undefined | null): void => {
    if (badge === undefined || badge === null) return;
    const classified = deps.router().classify(badge);
    if (!classified.ok || classified.scan.kind !== 'badge') throw new DomainError('operator.badgeInvalid', { badge });
  };
  const checkCode = (code: string): void => {
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(code)) throw new DomainError('operator.codeInvalid');
  };
  /** A site admin's change, journalled under their name; the screens hear of it. */
  const change = async (fn: (actingId: string, when: string) => OperatorRecord): Promise<OperatorRecord> => {
    const acting = session.actingAdmin();
    const when = at();
    const changed = await writer.run(() => fn(acting.id, when));
    session.afterChange(changed);
    deps.changed();
    return changed;
  };

  return {
    'operator.session': async () => session.view(),
    'operator.identify': async ({ text }) => {
      const classified = deps.router().classify(text);
      if (!classified.ok || classified.scan.kind !== 'badge') throw new DomainError('operator.notBadge', { preview: text.trim().slice(0, 4) });
      return { kind: 'operator.pinNeeded', operator: session.identify(classified.scan.code), badge: classified.scan.code };
    },
    'operator.signIn': async ({ code, badge, pin }) => session.signIn(code !== undefined ? { code } : { badge: badge! }, pin),
    'operator.setup': async ({ name, code, pin, badge }) => {
      checkCode(code);
      checkBadge(badge);
      return session.setup({ name, code, pin, badge: badge ?? null });
    },
    'operator.lock': async () => session.lock(),
    'operator.signOut': async () => session.signOut(),
    'operator.activity': async () => {
      session.touch();
      return null;
    },
    'operator.list': async () => operators.list(),
    'operator.create': async ({ name, code, role, badge, pin }) => {
      checkCode(code);
      checkBadge(badge);
      checkNewPin(pin);
      const pinHash = await hashPin(pin);
      return change((acting, when) => operators.create({ name, code, role, badge: badge ?? null, pinHash }, acting, when));
    },
    'operator.update': async ({ id, name, role, badge }) => {
      checkBadge(badge);
      return change((acting, when) => operators.update(id, { name, role, badge }, acting, when));
    },
    'operator.resetPin': async ({ id, pin }) => {
      checkNewPin(pin);
      operators.get(id);
      // Before the hash's work; the change checks it again in its transaction.
      if (id === session.actingAdmin().id) throw new DomainError('operator.ownPin');
      const pinHash = await hashPin(pin);
      return change((acting, when) => operators.setPin(id, pinHash, acting, when));
    },
    'operator.changePin': async ({ pin, newPin }) => {
      const view = await session.changePin(pin, newPin);
      deps.changed();
      return view;
    },
    'operator.disable': async ({ id }) => change((acting, when) => operators.setDisabled(id, true, acting, when)),
    'operator.enable': async ({ id }) => change((acting, when) => operators.setDisabled(id, false, acting, when)),
    'operator.unlock': async ({ id }) => change((acting, when) => operators.unlock(id, acting, when)),
    'operator.settings': async () => session.settings(),
    'operator.setIdleLock': async ({ minutes }) => session.setIdleLock(minutes),
  };
}
