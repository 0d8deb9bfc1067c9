// Runs the EventSink contract against each broker sink with the real services on this machine (S14).
import { eventSinkContract } from './event-sink.contract.ts';
import { amqpHarness, natsHarness, redisHarness } from './event-sink-harnesses.ts';

eventSinkContract(redisHarness);
eventSinkContract(amqpHarness);
eventSinkContract(natsHarness);
