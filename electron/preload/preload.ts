/**
 * The window's only door to the core: `window.station`, one function per command plus one
 * event subscription. A sandboxed preload can require nothing but `electron`, so the contract
 * is imported for types only and the command list is written out; `satisfies PreloadApi`
 * makes a renamed, missing or extra command a build error.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ArgsOf, EventName, Events, Method, PreloadApi, Result, ValueOf } from '../api/contract';

/** Channel names, repeated from ipc.main.ts for the same reason as the command list. */
const CALL_CHANNEL = 'station.call';
const EVENT_CHANNEL = 'station.event';

type StationEvent = { event: EventName; payload: Events[EventName] };

function command<M extends Method>(method: M): (args: ArgsOf<M>) => Promise<Result<ValueOf<M>>> {
  return (args) => ipcRenderer.invoke(CALL_CHANNEL, method, args) as Promise<Result<ValueOf<M>>>;
}

const api = {
  'desk.state': command('desk.state'),
  'desk.setCapacity': command('desk.setCapacity'),
  'scan.submit': command('scan.submit'),
  'tube.new': command('tube.new'),
  'tube.seal': command('tube.seal'),
  'tube.void': command('tube.void'),
  'tube.search': command('tube.search'),
  'binding.undo': command('binding.undo'),
  'binding.confirm': command('binding.confirm'),
  'binding.cancel': command('binding.cancel'),
  'tube.conflicts': command('tube.conflicts'),
  'upload.status': command('upload.status'),
  'upload.enroll': command('upload.enroll'),
  'upload.syncNow': command('upload.syncNow'),
  'journal.verify': command('journal.verify'),
  'results.positives': command('results.positives'),
  'retest.list': command('retest.list'),
  'devices.list': command('devices.list'),
  'devices.discover': command('devices.discover'),
  'devices.save': command('devices.save'),
  'devices.remove': command('devices.remove'),
  'devices.setMode': command('devices.setMode'),
  'devices.calibrate': command('devices.calibrate'),
  'devices.simulate': command('devices.simulate'),
  'devices.testPrint': command('devices.testPrint'),
  'label.preview': command('label.preview'),
  'label.print': command('label.print'),
  'label.reprint': command('label.reprint'),
  'label.printerStatus': command('label.printerStatus'),
  'label.settings': command('label.settings'),
  'label.setPrintOnOpen': command('label.setPrintOnOpen'),
  'round.list': command('round.list'),
  'round.start': command('round.start'),
  'round.close': command('round.close'),
  'roster.summary': command('roster.summary'),
  'roster.upload': command('roster.upload'),
  'roster.uploadChunk': command('roster.uploadChunk'),
  'roster.read': command('roster.read'),
  'roster.import': command('roster.import'),
  'roster.problems': command('roster.problems'),
  'roster.changes': command('roster.changes'),
  'roster.apply': command('roster.apply'),
  'roster.discard': command('roster.discard'),
  'roster.search': command('roster.search'),
  'desk.bindResident': command('desk.bindResident'),
  'coverage.view': command('coverage.view'),
  'coverage.residents': command('coverage.residents'),
  'coverage.exempt': command('coverage.exempt'),
  'coverage.unexempt': command('coverage.unexempt'),
  'coverage.export': command('coverage.export'),
  'report.day': command('report.day'),
  'report.export': command('report.export'),
  'operator.session': command('operator.session'),
  'operator.identify': command('operator.identify'),
  'operator.signIn': command('operator.signIn'),
  'operator.setup': command('operator.setup'),
  'operator.lock': command('operator.lock'),
  'operator.signOut': command('operator.signOut'),
  'operator.activity': command('operator.activity'),
  'operator.list': command('operator.list'),
  'operator.create': command('operator.create'),
  'operator.update': command('operator.update'),
  'operator.resetPin': command('operator.resetPin'),
  'operator.changePin': command('operator.changePin'),
  'operator.disable': command('operator.disable'),
  'operator.enable': command('operator.enable'),
  'operator.unlock': command('operator.unlock'),
  'operator.settings': command('operator.settings'),
  'operator.setIdleLock': command('operator.setIdleLock'),
  'station.workplace': command('station.workplace'),
  'station.setWorkplace': command('station.setWorkplace'),
  'gate.settings': command('gate.settings'),
  'gate.setDirection': command('gate.setDirection'),
  'gate.scan': command('gate.scan'),
  'gate.passage': command('gate.passage'),
  'gate.recent': command('gate.recent'),
  'gate.reading': command('gate.reading'),
  'gate.remeasure': command('gate.remeasure'),
  'gate.refer': command('gate.refer'),
  'gate.keyPersonAction': command('gate.keyPersonAction'),
  'gate.counts': command('gate.counts'),
  'sentinel.state': command('sentinel.state'),
  'sentinel.scan': command('sentinel.scan'),
  'gate.households': command('gate.households'),
  'gate.registerVisitor': command('gate.registerVisitor'),
  'gate.visitorLeave': command('gate.visitorLeave'),
  'gate.visitors': command('gate.visitors'),
  'gate.vehicle': command('gate.vehicle'),
  'gate.vehicles': command('gate.vehicles'),
  'pass.households': command('pass.households'),
  'pass.residents': command('pass.residents'),
  'pass.issue': command('pass.issue'),
  'pass.revoke': command('pass.revoke'),
  'pass.list': command('pass.list'),
  'pass.preview': command('pass.preview'),
  'pass.print': command('pass.print'),
  'box.open': command('box.open'),
  'box.addTube': command('box.addTube'),
  'box.removeTube': command('box.removeTube'),
  'box.seal': command('box.seal'),
  'box.handOver': command('box.handOver'),
  'box.state': command('box.state'),
  'box.list': command('box.list'),
  'box.pending': command('box.pending'),
  'box.printLabel': command('box.printLabel'),
  'box.manifest': command('box.manifest'),
  'box.printManifest': command('box.printManifest'),
  'box.settings': command('box.settings'),
  'box.setManifestQueue': command('box.setManifestQueue'),
  'door.groups': command('door.groups'),
  'door.setup': command('door.setup'),
  'door.assign': command('door.assign'),
  'door.list': command('door.list'),
  'door.household': command('door.household'),
  'door.openTube': command('door.openTube'),
  'door.sample': command('door.sample'),
  'door.scan': command('door.scan'),
  'door.notHome': command('door.notHome'),
  'door.refuse': command('door.refuse'),
  onEvent(listener: (event: StationEvent) => void): () => void {
    // The page gets the event's data only, never the IPC event (it carries the sender).
    const forward = (_event: IpcRendererEvent, message: StationEvent): void => listener(message);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, forward);
    };
  },
} satisfies PreloadApi;

contextBridge.exposeInMainWorld('station', api);
